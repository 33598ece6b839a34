import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

export function registerStatus(program: Command, run: Runner): void {
  program.command('status')
    .description('the live revision, every environment, the rollback target, and drift')
    .action(run(later(() => import('../actions/status.js').then((m) => m.status)), ['deploy']));
}
