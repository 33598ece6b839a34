import type { Config } from '../core/config/schema.js';
import { isHealthy, type EnvironmentInfo, type SchedulerName } from '../core/deploy/environment.js';
import { deploySpec, environmentArtefacts, environmentId, requireDeployConfig, type DeploySpec } from '../core/deploy/spec.js';
import { PreconditionError } from '../core/errors.js';
import { previewUrl } from '../core/nginx/preview.js';
import { shortSha } from '../core/image-ref.js';
import { appPath } from '../core/marathon/app-id.js';
import { buildAppDefinition } from '../core/marathon/app-definition.js';
import { payloadStyle } from '../core/marathon/version.js';
import { swarmConfigOf, swarmServiceSpec } from '../core/swarm/service-spec.js';
import { imageDigest, withDeployHooks } from '../core/hooks/plan.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { SchedulerDeployStep } from '../core/steps/deploy.js';
import type { DockerPort } from '../ports/docker.js';
import type { GitPort } from '../ports/git.js';
import type { SchedulerPort } from '../ports/scheduler.js';
import type { LbHosts } from '../ports/lb-hosts.js';
import { planPreview, readPreviewed } from './environment-preview.js';

export interface DeployFacts {
  revision: string;
  scheduler: SchedulerName;
  endpoint: string;
  /** Marathon's version (decides the app definition's payload style). */
  marathonVersion?: string;
  /** The environment of this revision, if one exists already. */
  existing?: EnvironmentInfo;
  /** Revisions of every environment of the app (this one included if it exists). */
  environments: string[];
  /** docker scheduler: whether the image is on the engine (containers are created from local images). */
  imagePresent?: boolean;
  /** Revisions with an entry in every host's preview file; absent when previews are not configured (or not read). */
  previewed?: string[];
}

export interface DeployOptions {
  keepFailed: boolean;
  /** Who runs the plan (user@host): names the preview update's lock holder. */
  who?: string;
}

export async function gatherDeployFacts(
  ports: { git: Pick<GitPort, 'resolve'>; scheduler: Pick<SchedulerPort, 'name' | 'about' | 'list'>; docker: Pick<DockerPort, 'imageInfo'>; lb?: Pick<LbHosts, 'get'> },
  config: Config,
  rev: string,
): Promise<DeployFacts> {
  requireDeployConfig(config);
  const revision = await ports.git.resolve(rev);
  const spec = deploySpec(config, revision);
  const [about, envs, image, previewed] = await Promise.all([
    ports.scheduler.about(),
    ports.scheduler.list(config.app),
    ports.scheduler.name === 'docker' ? ports.docker.imageInfo(spec.image) : Promise.resolve(undefined),
    ports.lb ? readPreviewed(ports.lb, config) : Promise.resolve(undefined),
  ]);
  const existing = envs.find((e) => e.revision === revision);
  return {
    revision,
    scheduler: ports.scheduler.name,
    endpoint: about.endpoint,
    ...(about.version ? { marathonVersion: about.version } : {}),
    ...(existing ? { existing } : {}),
    environments: envs.map((e) => e.revision),
    ...(ports.scheduler.name === 'docker' ? { imagePresent: image !== undefined } : {}),
    ...(previewed ? { previewed } : {}),
  };
}

function specDetail(config: Config, spec: DeploySpec, facts: DeployFacts): string[] {
  const deploy = requireDeployConfig(config);
  const hc = spec.healthCheck;
  const instances = {
    docker: () => `instances  ${spec.instances} × port ${spec.port}, published on ${deploy.bindAddress} at free host ports, restart unless-stopped`,
    marathon: () => `instances  ${spec.instances} × port ${spec.port} (bridge, dynamic host ports), cpus ${deploy.marathon!.cpus}, mem ${deploy.marathon!.mem} MB`,
    swarm: () => `instances  ${spec.instances} replicas × port ${spec.port}, published in host mode on each task's node (node address + its port is a backend)`,
  }[facts.scheduler];
  const lines = [
    `image      ${spec.image}`,
    instances(),
    `health     GET ${hc.path} → 2xx/3xx every ${hc.intervalSeconds}s (timeout ${hc.timeoutSeconds}s, grace ${hc.gracePeriodSeconds}s), all instances within ${spec.timeoutSeconds}s`,
  ];
  if (facts.scheduler === 'swarm') {
    const svc = swarmServiceSpec(spec, swarmConfigOf(deploy));
    lines.push(`POST /services/create  (swarm service ${svc.Name})`);
    lines.push(...JSON.stringify(svc, null, 2).split('\n').map((l) => `  ${l}`));
  }
  if (facts.scheduler === 'marathon') {
    const appId = environmentId(config, spec.revision);
    const version = facts.marathonVersion ?? '';
    const def = buildAppDefinition(spec, { appId, version, cpus: deploy.marathon!.cpus, mem: deploy.marathon!.mem });
    const style = payloadStyle(version) === 'legacy' ? 'container.docker.network BRIDGE + docker.portMappings' : 'networks + container.portMappings';
    lines.push(`PUT ${appPath(appId)}  (Marathon ${version || 'version unknown'}: ${style})`);
    lines.push(...JSON.stringify(def, null, 2).split('\n').map((l) => `  ${l}`));
  }
  return lines;
}

/** Pure: the deploy decision. A healthy environment of this revision is a no-op; a broken one is refused. */
export function planDeploy(config: Config, facts: DeployFacts, opts: DeployOptions): Plan {
  const deploy = requireDeployConfig(config);
  const sha12 = shortSha(facts.revision);
  const spec = deploySpec(config, facts.revision);
  const environment = environmentId(config, facts.revision);
  const subject = `deploy ${sha12}  (${facts.scheduler}, ${deploy.instances} instance${deploy.instances === 1 ? '' : 's'})`;
  const factsJson = {
    revision: facts.revision,
    scheduler: facts.scheduler,
    endpoint: facts.endpoint,
    ...(facts.marathonVersion ? { marathonVersion: facts.marathonVersion } : {}),
    environment,
    existing: facts.existing ? { id: facts.existing.id, healthy: facts.existing.healthy, wanted: facts.existing.wanted } : null,
    previewUrl: config.preview ? previewUrl(config.preview, facts.revision) : null,
  };

  if (facts.existing) {
    const e = facts.existing;
    if (!isHealthy(e)) {
      throw new PreconditionError(`an environment for ${sha12} already exists but is not healthy (${e.healthy}/${e.wanted} healthy)`, {
        code: 'deploy.exists-unhealthy',
        details: e.instances.map((i) => `${i.id}${i.backend ? ` ${i.backend.host}:${i.backend.port}` : ''}: ${i.state}${i.lastHealth ? ` — ${i.lastHealth}` : ''}`),
        hint: `remove it with \`deployer destroy ${facts.revision}\`, then deploy again`,
      });
    }
    const notes = [`environment ${environment} is already healthy (${e.healthy}/${e.wanted}): nothing to deploy`];
    if (e.wanted !== deploy.instances) notes.push(`it runs ${e.wanted} instances, deploy.instances says ${deploy.instances}; destroy and deploy again to change that`);
    // Deployed is not previewed: a run interrupted (or failed) during the preview update left the
    // environment without its entry, and running deploy again is how that is finished.
    if (facts.previewed && !facts.previewed.includes(facts.revision)) {
      const preview = planPreview(config, { add: [facts.revision] }, opts.who ?? 'deployer');
      if (preview.length) {
        notes.push(`its preview entry is missing (an earlier deploy stopped before writing it): writing it now`);
        return makePlan('deploy', subject, factsJson, preview, notes);
      }
    }
    return makePlan('deploy', subject, factsJson, [], notes);
  }

  if (facts.imagePresent === false) {
    throw new PreconditionError(`image ${spec.image} is not on the Docker engine`, {
      code: 'deploy.image-missing',
      hint: `build it first: \`deployer delta-build ${facts.revision}\``,
    });
  }

  const step: SchedulerDeployStep = {
    id: 'deploy',
    kind: 'scheduler.deploy',
    title: `deploy ${environmentArtefacts(config, facts.revision)} and wait until healthy`,
    reason: opts.keepFailed ? 'a failed environment is kept (--keep-failed)' : 'a failed environment is removed',
    detail: specDetail(config, spec, facts),
    scheduler: facts.scheduler,
    environment,
    spec,
    keepFailed: opts.keepFailed,
  };
  const notes = {
    docker: [],
    marathon: [`Marathon agents pull ${spec.image} themselves: it must be in the registry`],
    swarm: [`every swarm node that runs a task needs ${spec.image}: beyond one node it must be in the registry`],
  }[facts.scheduler];
  const steps = [step, ...planPreview(config, { add: [facts.revision] }, opts.who ?? 'deployer')];
  const hooked = withDeployHooks(config, steps, { app: config.app, revision: facts.revision, previous: null, who: opts.who ?? 'deployer', ...imageDigest(spec.image) });
  return makePlan('deploy', subject, factsJson, hooked, notes);
}
