import { Option, type Command } from 'commander';
import { notImplemented } from '../command.js';
import type { Runner } from '../program.js';

export function registerBuildCommands(program: Command, run: Runner): void {
  program.command('full-build')
    .description('docker build the Dockerfile from git-tracked content, tag <full>:<sha> and :latest, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .option('--if-older-than <duration>', 'skip when the current full image is younger (e.g. 24h, 30m)')
    .option('--allow-dirty', 'allow uncommitted changes (the tag is marked -dirty)', false)
    .action(run(notImplemented('full-build', 'issue 3')));
  program.command('delta-build')
    .description('apply the changes since the latest full image inside a container, commit, tag <delta>:<sha>, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .addOption(new Option('--on-infra <action>', 'what to do when infra files changed').choices(['full-build', 'fail']).default('full-build'))
    .option('--force', 'rebuild even if the delta image already exists', false)
    .action(run(notImplemented('delta-build', 'issue 3')));
  program.command('verify')
    .description('prove the delta image equals a full build of the same revision, file by file')
    .argument('<rev>', 'revision to verify')
    .action(run(notImplemented('verify', 'issue 3')));
}
