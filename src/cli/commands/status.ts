import type { Command } from 'commander';
import { gathering } from '../../planners/gathering.js';
import { computeStatus, gatherStatusFacts, planStatus } from '../../planners/status.js';
import type { Runner } from '../program.js';
import { statusReport } from '../views/status.js';

export function registerStatus(program: Command, run: Runner): void {
  program.command('status')
    .description('the live revision, every environment, the rollback target, and drift')
    .action(run(async (env) => {
      const facts = await gathering(env.ports, () => gatherStatusFacts(env.ports, env.config), env.signal);
      const status = computeStatus(env.config, facts);
      return { plan: planStatus(status), report: () => statusReport(status) };
    }, ['deploy']));
}
