import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

export function registerChanges(program: Command, run: Runner): void {
  program.command('changes')
    .description('list the changed paths between two revisions with their class (infra > deps > code > none)')
    .argument('<from>', 'base revision')
    .argument('[to]', 'target revision', 'HEAD')
    .action(run(later(() => import('../actions/changes.js').then((m) => m.changes))));
}
