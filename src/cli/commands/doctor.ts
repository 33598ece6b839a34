import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

export function registerDoctor(program: Command, run: Runner): void {
  program.command('doctor')
    .description('check this machine and the config: Node, Docker, registry, scheduler, switch hosts, state dirs (exit 1 if any check fails)')
    .action(run(later(() => import('../actions/doctor.js').then((m) => m.doctor))));
}
