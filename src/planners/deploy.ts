import type { Config } from '../core/config/schema.js';
import { isHealthy, type EnvironmentInfo, type SchedulerName } from '../core/deploy/environment.js';
import { deploySpec, environmentArtefacts, environmentId, requireDeployConfig, type DeploySpec } from '../core/deploy/spec.js';
import { PreconditionError } from '../core/errors.js';
import { previewUrl } from '../core/nginx/preview.js';
import { imageRef, LABELS, pinnedRef, repositoryOf, shortSha } from '../core/image-ref.js';
import { choosePin, type Pin, type RegistryImageFacts } from '../core/deploy/pin.js';
import { isPassing } from '../core/records/attestation.js';
import type { ImagesPort } from '../ports/images.js';
import type { TestRecordStore } from '../ports/records.js';
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
  /** With a registry: the tag's digest and the tested digests; the plan pins one of them. */
  registryImage?: RegistryImageFacts;
  /** docker scheduler with a registry: digests whose pinned ref is on the engine. */
  presentDigests?: string[];
  /** Revisions with an entry in every host's preview file; absent when previews are not configured (or not read). */
  previewed?: string[];
}

export interface DeployOptions {
  keepFailed: boolean;
  /** Who runs the plan (user@host): names the preview update's lock holder. */
  who?: string;
}

export interface DeployReadPorts {
  git: Pick<GitPort, 'resolve'>;
  scheduler: Pick<SchedulerPort, 'name' | 'about' | 'list'>;
  docker: Pick<DockerPort, 'imageInfo'>;
  lb?: Pick<LbHosts, 'get'>;
  /** Without these (or without a registry) environments run the local tag, as before records moved to the registry. */
  images?: Pick<ImagesPort, 'registry' | 'remote'>;
  records?: Pick<TestRecordStore, 'forDigest' | 'forRevision'>;
}

/** What the registry says about the revision's delta image: the digest its tag names and what passed. */
async function gatherRegistryImage(ports: Required<Pick<DeployReadPorts, 'images' | 'records'>>, tag: string, revision: string): Promise<RegistryImageFacts> {
  const repo = repositoryOf(tag);
  const remote = await ports.images.remote(tag);
  const forTag = remote ? await ports.records.forDigest(repo, remote.digest) : undefined;
  // Only when the tag's bytes are untested: looking through every record is the slow path.
  const tested = forTag && isPassing(forTag) ? [forTag] : (await ports.records.forRevision(repo, revision)).filter((r) => isPassing(r) && r.digest);
  return { tag, tagDigest: remote?.digest, tested };
}

export async function gatherDeployFacts(ports: DeployReadPorts, config: Config, rev: string): Promise<DeployFacts> {
  requireDeployConfig(config);
  const revision = await ports.git.resolve(rev);
  const docker = ports.scheduler.name === 'docker';
  const pinning = ports.images?.registry !== undefined && ports.records !== undefined;
  const [about, envs, registryImage, previewed] = await Promise.all([
    ports.scheduler.about(),
    ports.scheduler.list(config.app),
    pinning ? gatherRegistryImage({ images: ports.images!, records: ports.records! }, imageRef(config, 'delta', revision), revision) : Promise.resolve(undefined),
    ports.lb ? readPreviewed(ports.lb, config) : Promise.resolve(undefined),
  ]);
  const existing = envs.find((e) => e.revision === revision);
  let imagePresent: boolean | undefined;
  let presentDigests: string[] | undefined;
  if (docker && registryImage) {
    const repo = repositoryOf(registryImage.tag);
    const digests = [...new Set([registryImage.tagDigest, ...registryImage.tested.map((r) => r.digest)].filter((d): d is string => d !== undefined))];
    const present = await Promise.all(digests.map(async (d) => ((await ports.docker.imageInfo(pinnedRef(repo, d))) ? d : undefined)));
    presentDigests = present.filter((d): d is string => d !== undefined);
  } else if (docker) {
    imagePresent = (await ports.docker.imageInfo(deploySpec(config, revision).image)) !== undefined;
  }
  return {
    revision,
    scheduler: ports.scheduler.name,
    endpoint: about.endpoint,
    ...(about.version ? { marathonVersion: about.version } : {}),
    ...(existing ? { existing } : {}),
    environments: envs.map((e) => e.revision),
    ...(imagePresent !== undefined ? { imagePresent } : {}),
    ...(registryImage ? { registryImage } : {}),
    ...(presentDigests ? { presentDigests } : {}),
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
  const pin: Pin | undefined = facts.registryImage && !facts.existing ? choosePin(facts.revision, facts.registryImage) : undefined;
  const spec = deploySpec(config, facts.revision, pin);
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
    image: spec.image,
    digest: pin?.digest ?? null,
    tagDigest: facts.registryImage?.tagDigest ?? null,
    tested: pin?.tested ? { digest: pin.tested.digest, passedAt: pin.tested.passedAt, by: pin.tested.by } : null,
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
  if (pin && facts.presentDigests && !facts.presentDigests.includes(pin.digest)) {
    // The docker scheduler creates containers from the engine's images and never pulls.
    throw new PreconditionError(`image ${spec.image} is not on the Docker engine${pin.note ? ` (${pin.note})` : ''}`, {
      code: 'deploy.image-missing',
      hint: `pull the tested bytes first: \`docker pull ${spec.image}\``,
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
  const notes: string[] = {
    docker: [],
    marathon: [`Marathon agents pull ${spec.image} themselves: it must be in the registry`],
    swarm: [`every swarm node that runs a task needs ${spec.image}: beyond one node it must be in the registry`],
  }[facts.scheduler];
  if (pin?.note) notes.unshift(pin.note);
  if (pin) notes.push(`the environment runs ${spec.image} (pinned by digest; labelled ${LABELS.digest})`);
  const steps = [step, ...planPreview(config, { add: [facts.revision] }, opts.who ?? 'deployer')];
  const hooked = withDeployHooks(config, steps, { app: config.app, revision: facts.revision, previous: null, who: opts.who ?? 'deployer', ...imageDigest(spec.image) });
  return makePlan('deploy', subject, factsJson, hooked, notes);
}
