import type { Command } from 'commander';
import { notImplemented } from '../command.js';
import type { Runner } from '../program.js';

export function registerDeployCommands(program: Command, run: Runner): void {
  program.command('deploy')
    .description('create an environment of N containers of <delta>:<sha>, wait until healthy, give it a preview hostname')
    .argument('<rev>', 'revision to deploy')
    .option('--keep-failed', 'leave a failed environment in place for debugging', false)
    .action(run(notImplemented('deploy', 'issue 5')));
  program.command('destroy')
    .description('remove an environment and its preview entry (never the live one)')
    .argument('<rev>', 'revision whose environment to remove')
    .action(run(notImplemented('destroy', 'issue 5')));
  program.command('gc')
    .description('remove environments beyond switch.keep, never the live one or the rollback target')
    .action(run(notImplemented('gc', 'issue 5')));
  program.command('status')
    .description('the live revision, every environment, the rollback target, and drift')
    .action(run(notImplemented('status', 'issue 5')));
}
