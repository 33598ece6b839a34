import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

const actions = () => import('../actions/serve.js');

export function registerServeCommands(program: Command, run: Runner): void {
  program.command('serve')
    .description('the deployer page and JSON API (read-only unless DEPLOYER_UI_TOKEN is set)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8700')
    .action(run(later(() => actions().then((m) => m.serve))));
  program.command('upstream')
    .description('print the upstream block production would get for a revision (for load balancers that pull it)')
    .argument('<rev>', 'revision')
    .action(run(later(() => actions().then((m) => m.upstream)), ['deploy']));
}
