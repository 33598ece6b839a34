import type { Command } from 'commander';
import { classify, gatherChangeFacts, planChanges } from '../../planners/changes.js';
import type { Runner } from '../program.js';
import { changesReport } from '../views/changes.js';

export function registerChanges(program: Command, run: Runner): void {
  program.command('changes')
    .description('list the changed paths between two revisions with their class (infra > deps > code > none)')
    .argument('<from>', 'base revision')
    .argument('[to]', 'target revision', 'HEAD')
    .action(run(async (env, [from, to]) => {
      const result = classify(env.config, await gatherChangeFacts(env.ports.git, from!, to ?? 'HEAD'));
      return { plan: planChanges(result), report: () => changesReport(result) };
    }));
}
