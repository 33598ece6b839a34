import type { Config } from '../core/config/schema.js';
import { makePlan, type Plan } from '../core/plan.js';
import { resolveSwitchHosts, stateLocation } from '../core/switch/hosts.js';
import { describeLock, lockHeldError, releaseDecision } from '../core/switch/lock.js';
import type { LockState, SwitchLockPort } from '../ports/lock.js';
import { requireSwitch } from './switch.js';

// `deployer lock release`: inspect (read-only), then decide: a dead holder's lock is broken; a live
// or unknown one only with --force. The step re-checks that the owner is unchanged before removing.

export interface LockFacts {
  location: string;
  state: LockState | undefined;
}

export async function gatherLockFacts(lock: Pick<SwitchLockPort, 'inspect' | 'location'>): Promise<LockFacts> {
  return { location: lock.location, state: await lock.inspect() };
}

export function planLockRelease(config: Config, facts: LockFacts, opts: { force: boolean }): Plan {
  const sw = requireSwitch(config);
  const { host, lock: path } = stateLocation(sw, config.app, resolveSwitchHosts(sw));
  const state = facts.state;
  const factsJson = { location: facts.location, held: state !== undefined, owner: state?.owner ?? null, holder: state?.holder ?? null };
  if (!state) return makePlan('lock release', `lock release  (${facts.location}: not held)`, factsJson, [], ['the lock is not held: nothing to release']);
  if (releaseDecision(state, opts.force) === 'refuse') throw lockHeldError(facts.location, state);
  const o = state.owner;
  return makePlan('lock release', `lock release  (${facts.location}: ${describeLock(state)})`, factsJson, [{
    id: 'release-lock',
    kind: 'switch.release-lock',
    title: `remove the switch lock ${facts.location}${state.holder === 'dead' ? ' (stale)' : ' (forced)'}`,
    host,
    path,
    owner: o ? { who: o.who, when: o.when, pid: o.pid, host: o.host, revision: o.revision } : null,
  }]);
}
