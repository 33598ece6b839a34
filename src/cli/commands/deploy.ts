import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';
import { registerStatus } from './status.js';

const actions = () => import('../actions/deploy.js');

export function registerDeployCommands(program: Command, run: Runner): void {
  program.command('deploy')
    .description('create an environment of N containers of <delta>:<sha>, wait until healthy, give it a preview hostname')
    .argument('<rev>', 'revision to deploy')
    .option('--keep-failed', 'leave a failed environment in place for debugging', false)
    .action(run(later(() => actions().then((m) => m.deploy)), ['deploy']));
  program.command('destroy')
    .description('remove an environment and its preview entry (never the live one)')
    .argument('<rev>', 'revision whose environment to remove')
    .action(run(later(() => actions().then((m) => m.destroy)), ['deploy']));
  program.command('gc')
    .description('remove environments beyond switch.keep, never the live one or the rollback target; --images: old images instead')
    .option('--images', 'remove old delta and full images from the local engine instead (keeps the newest switch.keep, the live, the rollback target, the newest full image and anything in use)', false)
    .option('--registry', 'with --images: also delete their tags and test records from the registry (its own garbage collection reclaims the blobs)', false)
    .action(run(later(() => actions().then((m) => m.gc)), ['deploy']));
  registerStatus(program, run);
}
