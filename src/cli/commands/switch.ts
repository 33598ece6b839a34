import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

const actions = () => import('../actions/switch.js');

export function registerSwitchCommands(program: Command, run: Runner): void {
  program.command('switch')
    .description('point production at an environment: rewrite the nginx upstream, test, reload, verify')
    .argument('<rev>', 'revision to make live')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'switch even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the switch is forced (recorded in the history)')
    .action(run(later(() => actions().then((m) => m.switchTo)), ['switch', 'deploy']));
  program.command('rollback')
    .description('switch back to the revision live before the current one (or the one given)')
    .argument('[rev]', 'revision to roll back to')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'roll back even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the rollback is forced')
    .action(run(later(() => actions().then((m) => m.rollback)), ['switch', 'deploy']));
  program.command('history')
    .description('past switches: from, to, who, when, hosts')
    .action(run(later(() => actions().then((m) => m.history)), ['switch']));
  const lock = program.command('lock').description('inspect or release the switch lock');
  lock.command('release')
    .description('break a lock whose holder is dead')
    .option('--force', 'release even if the holder looks alive', false)
    .action(run(later(() => actions().then((m) => m.lockRelease)), ['switch']));
}
