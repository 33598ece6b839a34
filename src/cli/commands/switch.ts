import type { Command } from 'commander';
import { gatherHistory, planHistory } from '../../planners/history.js';
import { gatherLockFacts, planLockRelease } from '../../planners/lock.js';
import { gatherRollbackFacts, planRollback } from '../../planners/rollback.js';
import { gatherSwitchFacts, planSwitch, type SwitchPlan } from '../../planners/switch.js';
import { gathering } from '../../planners/gathering.js';
import type { Outcome } from '../command.js';
import type { Runner } from '../program.js';
import { historyReport } from '../views/history.js';
import { lockReleaseReport } from '../views/lock.js';
import { switchReport } from '../views/switch.js';
import { whoAmI } from '../who.js';

function switchOutcome(plan: SwitchPlan, opts: Record<string, unknown>): Outcome {
  return { plan, confirm: true, yes: opts.yes === true, report: () => switchReport(plan) };
}

const force = (opts: Record<string, unknown>) => ({ force: opts.force === true, reason: opts.reason as string | undefined });

export function registerSwitchCommands(program: Command, run: Runner): void {
  program.command('switch')
    .description('point production at an environment: rewrite the nginx upstream, test, reload, verify')
    .argument('<rev>', 'revision to make live')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'switch even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the switch is forced (recorded in the history)')
    .action(run(async (env, [rev], opts) => {
      const facts = await gathering(env.ports, () => gatherSwitchFacts(env.ports, env.config, { action: 'switch', revision: rev!, who: whoAmI() }), env.signal);
      return switchOutcome(planSwitch(env.config, facts, force(opts)), opts);
    }, ['switch', 'deploy']));
  program.command('rollback')
    .description('switch back to the revision live before the current one (or the one given)')
    .argument('[rev]', 'revision to roll back to')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'roll back even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the rollback is forced')
    .action(run(async (env, [rev], opts) => {
      const facts = await gathering(env.ports, () => gatherRollbackFacts(env.ports, env.config, { revision: rev, who: whoAmI() }), env.signal);
      return switchOutcome(planRollback(env.config, facts, force(opts)), opts);
    }, ['switch', 'deploy']));
  program.command('history')
    .description('past switches: from, to, who, when, hosts')
    .action(run(async (env) => {
      const entries = await gathering(env.ports, () => gatherHistory(env.ports.history));
      const plan = planHistory(entries);
      return { plan, report: () => historyReport(plan) };
    }, ['switch']));
  const lock = program.command('lock').description('inspect or release the switch lock');
  lock.command('release')
    .description('break a lock whose holder is dead')
    .option('--force', 'release even if the holder looks alive', false)
    .action(run(async (env, _args, opts) => {
      const facts = await gathering(env.ports, () => gatherLockFacts(env.ports.lock));
      const plan = planLockRelease(env.config, facts, { force: opts.force === true });
      return { plan, report: () => lockReleaseReport(plan, facts) };
    }, ['switch']));
}
