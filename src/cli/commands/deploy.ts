import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { previewUrl } from '../../core/nginx/preview.js';
import { gatherDeployFacts, planDeploy } from '../../planners/deploy.js';
import { gatherDestroyFacts, planDestroy } from '../../planners/destroy.js';
import { gatherGcFacts, planGc } from '../../planners/gc.js';
import { gatherImageGcFacts, planImageGc } from '../../planners/gc-images.js';
import type { Runner } from '../program.js';
import { registerStatus } from './status.js';
import { deployReport } from '../views/deploy.js';
import { destroyReport } from '../views/destroy.js';
import { gcReport } from '../views/gc.js';
import { imageGcReport } from '../views/gc-images.js';
import { whoAmI } from '../who.js';

export function registerDeployCommands(program: Command, run: Runner): void {
  program.command('deploy')
    .description('create an environment of N containers of <delta>:<sha>, wait until healthy, give it a preview hostname')
    .argument('<rev>', 'revision to deploy')
    .option('--keep-failed', 'leave a failed environment in place for debugging', false)
    .action(run(async (env, [rev], opts) => {
      const facts = await gatherDeployFacts(env.ports, env.config, rev!);
      const plan = planDeploy(env.config, facts, { keepFailed: opts.keepFailed === true, who: whoAmI() });
      const url = env.config.preview ? previewUrl(env.config.preview, facts.revision) : undefined;
      return { plan, report: (results) => deployReport(env.config, plan, facts, url, results) };
    }, ['deploy']));
  program.command('destroy')
    .description('remove an environment and its preview entry (never the live one)')
    .argument('<rev>', 'revision whose environment to remove')
    .action(run(async (env, [rev]) => {
      const facts = await gatherDestroyFacts(env.ports, env.config, rev!);
      const plan = planDestroy(env.config, facts, { who: whoAmI() });
      return { plan, report: () => destroyReport(env.config, plan, facts) };
    }, ['deploy']));
  program.command('gc')
    .description('remove environments beyond switch.keep, never the live one or the rollback target; --images: old images instead')
    .option('--images', 'remove old delta and full images from the local engine instead (keeps the newest switch.keep, the live, the rollback target, the newest full image and anything in use)', false)
    .option('--registry', 'with --images: also delete their tags and test records from the registry (its own garbage collection reclaims the blobs)', false)
    .action(run(async (env, _args, opts) => {
      if (opts.registry && !opts.images) throw new UsageError('--registry is only used with --images', { hint: 'deployer gc --images --registry' });
      if (opts.images) {
        const facts = await gatherImageGcFacts(env.ports, env.config, { registry: Boolean(opts.registry) });
        const plan = planImageGc(env.config, facts);
        return { plan, report: () => imageGcReport(plan) };
      }
      const facts = await gatherGcFacts(env.ports, env.config);
      const plan = planGc(env.config, facts, { who: whoAmI() });
      return { plan, report: () => gcReport(env.config, plan) };
    }, ['deploy']));
  registerStatus(program, run);
}
