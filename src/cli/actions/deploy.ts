import { UsageError } from '../../core/errors.js';
import { previewUrl } from '../../core/nginx/preview.js';
import { gatherDeployFacts, planDeploy } from '../../planners/deploy.js';
import { gatherDestroyFacts, planDestroy } from '../../planners/destroy.js';
import { gatherGcFacts, planGc } from '../../planners/gc.js';
import { gatherImageGcFacts, planImageGc } from '../../planners/gc-images.js';
import type { CommandAction } from '../command.js';
import { deployReport } from '../views/deploy.js';
import { destroyReport } from '../views/destroy.js';
import { gcReport } from '../views/gc.js';
import { imageGcReport } from '../views/gc-images.js';
import { whoAmI } from '../who.js';

export const deploy: CommandAction<'deploy'> = async (env, [rev], opts) => {
  const facts = await gatherDeployFacts(env.ports, env.config, rev!);
  const plan = planDeploy(env.config, facts, { keepFailed: opts.keepFailed === true, who: whoAmI() });
  const url = env.config.preview ? previewUrl(env.config.preview, facts.revision) : undefined;
  return { plan, report: (results) => deployReport(env.config, plan, facts, url, results) };
};

export const destroy: CommandAction<'deploy'> = async (env, [rev]) => {
  const facts = await gatherDestroyFacts(env.ports, env.config, rev!);
  const plan = planDestroy(env.config, facts, { who: whoAmI() });
  return { plan, report: () => destroyReport(env.config, plan, facts) };
};

export const gc: CommandAction<'deploy'> = async (env, _args, opts) => {
  if (opts.registry && !opts.images) throw new UsageError('--registry is only used with --images', { hint: 'deployer gc --images --registry' });
  if (opts.images) {
    const facts = await gatherImageGcFacts(env.ports, env.config, { registry: Boolean(opts.registry) });
    const plan = planImageGc(env.config, facts);
    return { plan, report: () => imageGcReport(plan) };
  }
  const facts = await gatherGcFacts(env.ports, env.config);
  const plan = planGc(env.config, facts, { who: whoAmI() });
  return { plan, report: () => gcReport(env.config, plan) };
};
