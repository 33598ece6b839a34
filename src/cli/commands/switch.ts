import type { Command } from 'commander';
import { notImplemented } from '../command.js';
import type { Runner } from '../program.js';

export function registerSwitchCommands(program: Command, run: Runner): void {
  program.command('switch')
    .description('point production at an environment: rewrite the nginx upstream, test, reload, verify')
    .argument('<rev>', 'revision to make live')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'switch even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the switch is forced (recorded in the history)')
    .action(run(notImplemented('switch', 'issue 6')));
  program.command('rollback')
    .description('switch back to the revision live before the current one (or the one given)')
    .argument('[rev]', 'revision to roll back to')
    .option('-y, --yes', 'do not ask for confirmation on a TTY', false)
    .option('--force', 'roll back even if untested or drifting (requires --reason)', false)
    .option('--reason <text>', 'why the rollback is forced')
    .action(run(notImplemented('rollback', 'issue 6')));
  program.command('history')
    .description('past switches: from, to, who, when, hosts')
    .action(run(notImplemented('history', 'issue 6')));
  const lock = program.command('lock').description('inspect or release the switch lock');
  lock.command('release')
    .description('break a lock whose holder is dead')
    .option('--force', 'release even if the holder looks alive', false)
    .action(run(notImplemented('lock release', 'issue 6')));
}
