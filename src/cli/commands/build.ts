import { Option, type Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

const actions = () => import('../actions/build.js');

export function registerBuildCommands(program: Command, run: Runner): void {
  program.command('full-build')
    .description('docker build the Dockerfile from git-tracked content, tag <full>:<sha> and :latest, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .option('--if-older-than <duration>', 'skip when the current full image is younger (e.g. 24h, 30m)')
    .option('--allow-dirty', 'allow uncommitted changes (the tag is marked -dirty)', false)
    .action(run(later(() => actions().then((m) => m.fullBuild))));
  program.command('delta-build')
    .description('apply the changes since the latest full image inside a container, commit, tag <delta>:<sha>, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .addOption(new Option('--on-infra <action>', 'what to do when infra files changed').choices(['full-build', 'fail']).default('full-build'))
    .option('--force', 'rebuild even if the delta image already exists', false)
    .action(run(later(() => actions().then((m) => m.deltaBuild))));
  program.command('verify')
    .description('prove the delta image equals a full build of the same revision, file by file')
    .argument('<rev>', 'revision to verify')
    .action(run(later(() => actions().then((m) => m.verify))));
}
