import { gatherHistory, planHistory } from '../../planners/history.js';
import { gatherLockFacts, planLockRelease } from '../../planners/lock.js';
import { gatherRollbackFacts, planRollback } from '../../planners/rollback.js';
import { gatherSwitchFacts, planSwitch, type SwitchPlan } from '../../planners/switch.js';
import { gathering } from '../../planners/gathering.js';
import type { CommandAction, Outcome } from '../command.js';
import { historyReport } from '../views/history.js';
import { lockReleaseReport } from '../views/lock.js';
import { switchReport } from '../views/switch.js';
import { whoAmI } from '../who.js';

function switchOutcome(plan: SwitchPlan, opts: Record<string, unknown>): Outcome {
  return { plan, confirm: true, yes: opts.yes === true, report: () => switchReport(plan) };
}

const force = (opts: Record<string, unknown>) => ({ force: opts.force === true, reason: opts.reason as string | undefined });

export const switchTo: CommandAction<'switch' | 'deploy'> = async (env, [rev], opts) => {
  const facts = await gathering(env.ports, () => gatherSwitchFacts(env.ports, env.config, { action: 'switch', revision: rev!, who: whoAmI() }), env.signal);
  return switchOutcome(planSwitch(env.config, facts, force(opts)), opts);
};

export const rollback: CommandAction<'switch' | 'deploy'> = async (env, [rev], opts) => {
  const facts = await gathering(env.ports, () => gatherRollbackFacts(env.ports, env.config, { revision: rev, who: whoAmI() }), env.signal);
  return switchOutcome(planRollback(env.config, facts, force(opts)), opts);
};

export const history: CommandAction<'switch'> = async (env) => {
  const entries = await gathering(env.ports, () => gatherHistory(env.ports.history));
  const plan = planHistory(entries);
  return { plan, report: () => historyReport(plan) };
};

export const lockRelease: CommandAction<'switch'> = async (env, _args, opts) => {
  const facts = await gathering(env.ports, () => gatherLockFacts(env.ports.lock));
  const plan = planLockRelease(env.config, facts, { force: opts.force === true });
  return { plan, report: () => lockReleaseReport(plan, facts) };
};
