import type { Config } from '../../core/config/schema.js';
import type { EnvironmentInfo } from '../../core/deploy/environment.js';
import { environmentId } from '../../core/deploy/spec.js';
import { shortSha } from '../../core/image-ref.js';
import type { Plan } from '../../core/plan.js';
import { DEPLOYED_ENVIRONMENT } from '../../exec/handlers/deploy.js';
import type { Results } from '../../exec/results.js';
import type { DeployFacts } from '../../planners/deploy.js';
import type { Report } from '../command.js';

// `deployer deploy`: the environment that is healthy now (made by this run, or found so), its
// instances and its preview URL.

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

export function deployReport(config: Config, plan: Plan, facts: DeployFacts, url: string | undefined, results: Results): Report {
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
    : [`environment ${environmentId(config, facts.revision)}: nothing deployed`];
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
}
