import type { Command } from 'commander';
import type { EnvironmentInfo } from '../../core/deploy/environment.js';
import { environmentId, requireDeployConfig } from '../../core/deploy/spec.js';
import { shortSha } from '../../core/image-ref.js';
import { UsageError } from '../../core/errors.js';
import { previewUrl } from '../../core/nginx/preview.js';
import { DEPLOYED_ENVIRONMENT } from '../../exec/handlers/deploy.js';
import { gatherDeployFacts, planDeploy } from '../../planners/deploy.js';
import { gatherDestroyFacts, planDestroy } from '../../planners/destroy.js';
import { gatherGcFacts, planGc } from '../../planners/gc.js';
import { gatherImageGcFacts, planImageGc } from '../../planners/gc-images.js';
import { humanBytes } from '../../core/bytes.js';

import type { Runner } from '../program.js';
import { registerStatus } from './status.js';
import { whoAmI } from '../who.js';

function environmentJson(e: EnvironmentInfo) {
  return {
    revision: e.revision,
    id: e.id,
    image: e.image,
    wanted: e.wanted,
    healthy: e.healthy,
    backends: e.backends.map((b) => `${b.host}:${b.port}`),
    instances: e.instances.map((i) => ({ id: i.id, state: i.state, backend: i.backend ? `${i.backend.host}:${i.backend.port}` : null })),
    createdAt: e.createdAt?.toISOString() ?? null,
  };
}

export function registerDeployCommands(program: Command, run: Runner): void {
  program.command('deploy')
    .description('create an environment of N containers of <delta>:<sha>, wait until healthy, give it a preview hostname')
    .argument('<rev>', 'revision to deploy')
    .option('--keep-failed', 'leave a failed environment in place for debugging', false)
    .action(run(async (env, [rev], opts) => {
      requireDeployConfig(env.config, env.loaded.path);
      const facts = await gatherDeployFacts(env.ports, env.config, rev!);
      const plan = planDeploy(env.config, facts, { keepFailed: opts.keepFailed === true, who: whoAmI() });
      const url = env.config.preview ? previewUrl(env.config.preview, facts.revision) : undefined;
      return {
        plan,
        report: (results) => {
          const deployed = results.get(DEPLOYED_ENVIRONMENT);
          const e = deployed ?? facts.existing;
          const sha12 = shortSha(facts.revision);
          const lines = e
            ? [
              deployed
                ? `environment ${e.id} is healthy: ${e.healthy}/${e.wanted} instances (${facts.scheduler})`
                : `environment ${e.id} was already healthy: ${e.healthy}/${e.wanted} instances (${facts.scheduler}); nothing deployed${plan.steps.length ? '; its missing preview entry was written' : ''}`,
              ...e.instances.map((i) => `  ${i.id}  ${i.backend ? `${i.backend.host}:${i.backend.port}` : '-'}  ${i.state}`),
            ]
            : [`environment ${environmentId(env.config, facts.revision)}: nothing deployed`];
          if (url) lines.push(`preview: ${url}`);
          return {
            text: lines.join('\n'),
            json: {
              command: 'deploy',
              revision: facts.revision,
              sha12,
              scheduler: facts.scheduler,
              deployed: deployed !== undefined,
              environment: e ? environmentJson(e) : null,
              previewUrl: url ?? null,
            },
          };
        },
      };
    }));
  program.command('destroy')
    .description('remove an environment and its preview entry (never the live one)')
    .argument('<rev>', 'revision whose environment to remove')
    .action(run(async (env, [rev]) => {
      requireDeployConfig(env.config, env.loaded.path);
      const facts = await gatherDestroyFacts(env.ports, env.config, rev!);
      const plan = planDestroy(env.config, facts, { who: whoAmI() });
      const removed = plan.steps.some((s) => s.kind === 'scheduler.destroy');
      return {
        plan,
        report: () => ({
          text: removed ? `environment ${environmentId(env.config, facts.revision)} removed` : `no environment for ${shortSha(facts.revision)}; nothing removed`,
          json: { command: 'destroy', revision: facts.revision, removed },
        }),
      };
    }));
  program.command('gc')
    .description('remove environments beyond switch.keep, never the live one or the rollback target; --images: old images instead')
    .option('--images', 'remove old delta and full images from the local engine instead (keeps the newest switch.keep, the live, the rollback target, the newest full image and anything in use)', false)
    .option('--registry', 'with --images: also delete their tags and test records from the registry (its own garbage collection reclaims the blobs)', false)
    .action(run(async (env, _args, opts) => {
      if (opts.registry && !opts.images) throw new UsageError('--registry is only used with --images', { hint: 'deployer gc --images --registry' });
      requireDeployConfig(env.config, env.loaded.path);
      if (opts.images) {
        const facts = await gatherImageGcFacts(env.ports, env.config, { registry: Boolean(opts.registry) });
        const plan = planImageGc(env.config, facts);
        const images = plan.facts.images;
        return {
          plan,
          report: () => ({
            text: images.map((i) => `${i.remove ? 'removed' : 'kept'} ${i.name} (${i.where}, ${humanBytes(i.size)}): ${i.why}`).join('\n') || 'no images',
            json: { command: 'gc', images },
          }),
        };
      }
      const facts = await gatherGcFacts(env.ports, env.config);
      const plan = planGc(env.config, facts, { who: whoAmI() });
      const f = plan.facts;
      return {
        plan,
        report: () => ({
          text: [
            ...f.remove.map((r) => `removed ${environmentId(env.config, r)}`),
            ...f.kept.map((k) => `kept ${environmentId(env.config, k.revision)} (${k.why})`),
          ].join('\n') || 'no environments',
          json: { command: 'gc', removed: f.remove, kept: f.kept },
        }),
      };
    }));
  registerStatus(program, run);
}
