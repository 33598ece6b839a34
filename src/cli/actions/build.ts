import { parseDuration } from '../../core/build/duration.js';
import { gatherDeltaFacts, planDeltaBuild } from '../../planners/delta-build.js';
import { gatherFullBuildFacts, planFullBuild } from '../../planners/full-build.js';
import { gatherVerifyFacts, planVerify } from '../../planners/verify.js';
import type { CommandAction } from '../command.js';
import { buildReport, verifyReport } from '../views/build.js';

export const fullBuild: CommandAction = async (env, [rev], opts) => {
  const ifOlderThanMs = opts.ifOlderThan !== undefined ? parseDuration(String(opts.ifOlderThan)) : undefined;
  const facts = await gatherFullBuildFacts(env.config, env.ports, rev ?? 'HEAD', { checkWorkTree: true, signal: env.signal });
  const { plan, skipped } = planFullBuild(env.config, facts, { allowDirty: opts.allowDirty === true, ...(ifOlderThanMs !== undefined ? { ifOlderThanMs } : {}) });
  return { plan, report: (results) => buildReport(plan, results, skipped) };
};

export const deltaBuild: CommandAction = async (env, [rev], opts) => {
  const facts = await gatherDeltaFacts(env.config, env.ports, rev ?? 'HEAD', env.signal);
  const { plan, skipped } = planDeltaBuild(env.config, facts, { onInfra: opts.onInfra === 'fail' ? 'fail' : 'full-build', force: opts.force === true });
  return { plan, report: (results) => buildReport(plan, results, skipped) };
};

export const verify: CommandAction = async (env, [rev]) => {
  const plan = planVerify(env.config, await gatherVerifyFacts(env.config, env.ports, rev!, env.signal));
  return { plan, report: (results) => verifyReport(results) };
};
