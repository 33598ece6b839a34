import type { LockOwner, LockState } from '../../ports/lock.js';
import { LockHeldError } from '../errors.js';
import { shortSha } from '../image-ref.js';

// What a person is told about the switch lock, and whether `deployer lock release` may break it.

export function describeOwner(o: LockOwner): string {
  const rev = /^[0-9a-f]{40}$/.test(o.revision) ? shortSha(o.revision) : o.revision;
  return `${o.who} (${o.command} ${rev}, pid ${o.pid} on ${o.host}, since ${o.when})`;
}

export function describeLock(state: LockState): string {
  if (!state.owner) return 'held, without an owner file (being taken right now, or a run died while taking it)';
  const how = state.holder === 'dead' ? ' — stale: that process is not running any more'
    : state.holder === 'alive' ? ' — the holder is running' : ` — cannot tell from here whether it is still running (it runs on ${state.owner.host})`;
  return `held by ${describeOwner(state.owner)}${how}`;
}

export function lockHeldError(location: string, state: LockState): LockHeldError {
  const hint = state.holder === 'dead'
    ? 'the holder is gone: `deployer lock release` breaks the stale lock'
    : state.holder === 'alive'
      ? 'wait for that run to finish, then try again'
      : state.owner
        ? `if that run is gone (check ${state.owner.host}), \`deployer lock release --force\` breaks the lock`
        : 'if it stays that way, `deployer lock release --force` breaks the lock';
  return new LockHeldError(`the switch lock ${location} is ${describeLock(state)}`, { hint });
}

/** May `lock release` break this lock? Only a dead holder's, unless forced. */
export function releaseDecision(state: LockState, force: boolean): 'release' | 'refuse' {
  return state.holder === 'dead' || force ? 'release' : 'refuse';
}
