import { Option, type Command } from 'commander';
import { parseDuration } from '../../core/build/duration.js';
import { buildReport, verifyReport } from '../views/build.js';
import { gatherDeltaFacts, planDeltaBuild } from '../../planners/delta-build.js';
import { gatherFullBuildFacts, planFullBuild } from '../../planners/full-build.js';
import { gatherVerifyFacts, planVerify } from '../../planners/verify.js';
import type { Runner } from '../program.js';

export function registerBuildCommands(program: Command, run: Runner): void {
  program.command('full-build')
    .description('docker build the Dockerfile from git-tracked content, tag <full>:<sha> and :latest, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .option('--if-older-than <duration>', 'skip when the current full image is younger (e.g. 24h, 30m)')
    .option('--allow-dirty', 'allow uncommitted changes (the tag is marked -dirty)', false)
    .action(run(async (env, [rev], opts) => {
      const ifOlderThanMs = opts.ifOlderThan !== undefined ? parseDuration(String(opts.ifOlderThan)) : undefined;
      const facts = await gatherFullBuildFacts(env.config, env.ports, rev ?? 'HEAD', { checkWorkTree: true, signal: env.signal });
      const { plan, skipped } = planFullBuild(env.config, facts, { allowDirty: opts.allowDirty === true, ...(ifOlderThanMs !== undefined ? { ifOlderThanMs } : {}) });
      return { plan, report: (results) => buildReport(plan, results, skipped) };
    }));
  program.command('delta-build')
    .description('apply the changes since the latest full image inside a container, commit, tag <delta>:<sha>, push')
    .argument('[rev]', 'revision to build', 'HEAD')
    .addOption(new Option('--on-infra <action>', 'what to do when infra files changed').choices(['full-build', 'fail']).default('full-build'))
    .option('--force', 'rebuild even if the delta image already exists', false)
    .action(run(async (env, [rev], opts) => {
      const facts = await gatherDeltaFacts(env.config, env.ports, rev ?? 'HEAD', env.signal);
      const { plan, skipped } = planDeltaBuild(env.config, facts, { onInfra: opts.onInfra === 'fail' ? 'fail' : 'full-build', force: opts.force === true });
      return { plan, report: (results) => buildReport(plan, results, skipped) };
    }));
  program.command('verify')
    .description('prove the delta image equals a full build of the same revision, file by file')
    .argument('<rev>', 'revision to verify')
    .action(run(async (env, [rev]) => {
      const plan = planVerify(env.config, await gatherVerifyFacts(env.config, env.ports, rev!, env.signal));
      return { plan, report: (results) => verifyReport(results) };
    }));
}
