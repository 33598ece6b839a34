import { humanBytes } from '../core/bytes.js';
import type { Config } from '../core/config/schema.js';
import { UsageError } from '../core/errors.js';
import { decideImageGc, type GcImage } from '../core/gc/images.js';
import { LABELS, repository, repositoryOf, type ImageKind } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { ImageStep } from '../core/steps/images.js';
import type { DockerPort } from '../ports/docker.js';
import type { HistoryPort } from '../ports/history.js';
import type { RegistryPort } from '../ports/registry.js';
import type { SchedulerPort } from '../ports/scheduler.js';
import { readProtected } from './environment-preview.js';
import { DEFAULT_KEEP } from './gc.js';

// `gc --images [--registry]`: old delta and full images off the engine and (with --registry) out of
// the registry with their test records. Gather reads the engine's image list, the registry's tags,
// the environments and the history; decideImageGc (src/core/gc/images.ts) decides.

export interface ImageGcFacts {
  images: GcImage[];
  live: string | undefined;
  rollback: string | undefined;
  environments: { revision: string; image: string }[];
  registry: string | undefined;
}

/** The revision a tag names: `<sha>` or `<sha>-dirty`; `latest` and others say nothing. */
function revisionOf(labels: Record<string, string>, refs: readonly string[]): string | undefined {
  if (labels[LABELS.revision]) return labels[LABELS.revision];
  for (const r of refs) {
    const m = /:([0-9a-f]{40})(-dirty)?$/.exec(r);
    if (m) return m[1];
  }
  return undefined;
}

export async function gatherImageGcFacts(
  ports: { scheduler: Pick<SchedulerPort, 'list'>; history: Pick<HistoryPort, 'read'>; docker: Pick<DockerPort, 'listImages'>; registry: Pick<RegistryPort, 'host' | 'images'> },
  config: Config,
  opts: { registry: boolean },
): Promise<ImageGcFacts> {
  if (opts.registry && !ports.registry.host) {
    throw new UsageError('--registry needs a registry: set registry.host in deployer.yaml', { hint: 'without a registry, `deployer gc --images` cleans the local engine only' });
  }
  const repos: Record<ImageKind, string> = { delta: repository(config, 'delta'), full: repository(config, 'full') };
  const kindOf = (ref: string): ImageKind => (repositoryOf(ref) === repos.full ? 'full' : 'delta');
  const [envs, prot, local, remote] = await Promise.all([
    ports.scheduler.list(config.app),
    readProtected(config.switch ? ports.history : undefined),
    ports.docker.listImages([repos.delta, repos.full]),
    opts.registry ? Promise.all((['delta', 'full'] as const).map((k) => ports.registry.images(repos[k]))) : Promise.resolve([]),
  ]);
  const images: GcImage[] = [
    ...local.map((i): GcImage => ({ where: 'engine', kind: kindOf(i.refs[0]!), repository: repositoryOf(i.refs[0]!), key: i.id, refs: i.refs, revision: revisionOf(i.labels, i.refs), size: i.size, created: i.created, inUse: i.inUse })),
    ...remote.flat().map((i): GcImage => {
      const refs = [...i.tags.map((t) => `${i.repository}:${t}`), `${i.repository}@${i.digest}`];
      return { where: 'registry', kind: kindOf(refs[0]!), repository: i.repository, key: i.digest, refs, revision: revisionOf(i.labels, refs), size: i.size, created: i.created, ...(i.record ? { record: i.record } : {}) };
    }),
  ];
  return { images, live: prot.live, rollback: prot.rollback, environments: envs.map((e) => ({ revision: e.revision, image: e.image })), registry: opts.registry ? ports.registry.host : undefined };
}

const name = (i: GcImage) => i.refs.find((r) => r.includes(':') && !r.includes('@')) ?? i.refs[0]!;

/** One image as the plan and the report state it: kept or removed, and why. */
export interface GcImageVerdict {
  where: GcImage['where'];
  kind: ImageKind;
  name: string;
  refs: string[];
  revision: string | null;
  size: number;
  remove: boolean;
  why: string;
}

export interface ImageGcPlanFacts {
  keep: number;
  live: string | null;
  rollback: string | null;
  registry: string | null;
  images: GcImageVerdict[];
}

export function planImageGc(config: Config, facts: ImageGcFacts): Plan<ImageGcPlanFacts> {
  const keep = config.switch?.keep ?? DEFAULT_KEEP;
  const verdicts = decideImageGc(facts.images, { live: facts.live, rollback: facts.rollback, environments: facts.environments, keep });
  const steps: ImageStep[] = verdicts.filter((v) => v.remove).map(({ image: i, why }, n): ImageStep => (i.where === 'engine'
    ? { id: `remove-image-${n + 1}`, kind: 'image.remove', title: `remove ${name(i)} (${humanBytes(i.size)}) from the engine`, reason: why, detail: i.refs.map((r) => `untag ${r}`), imageId: i.key, refs: i.refs }
    : { id: `delete-manifest-${n + 1}`, kind: 'registry.delete', title: `delete ${name(i)} (${humanBytes(i.size)}) from the registry${i.record ? ', with its test record' : ''}`, reason: why, detail: i.refs.map((r) => `tag ${r}`), repository: i.repository, digest: i.key, ...(i.record ? { record: i.record } : {}) }));
  const freed = verdicts.filter((v) => v.remove).reduce((n, v) => n + v.image.size, 0);
  const notes = verdicts.filter((v) => !v.remove).map((v) => `keep ${name(v.image)} on the ${v.image.where} (${humanBytes(v.image.size)}): ${v.why}`);
  if (facts.registry && steps.some((s) => s.kind === 'registry.delete')) notes.push(`deleting manifests frees no disk by itself: run the registry's own garbage collection (\`registry garbage-collect\`) to reclaim the blobs`);
  if (steps.length === 0) notes.push(`${facts.images.length} image${facts.images.length === 1 ? '' : 's'}, keep ${keep}: nothing to remove`);
  return makePlan('gc', `gc --images  (keep ${keep}; ${steps.length} to remove, ${humanBytes(freed)})`, {
    keep,
    live: facts.live ?? null,
    rollback: facts.rollback ?? null,
    registry: facts.registry ?? null,
    images: verdicts.map((v): GcImageVerdict => ({ where: v.image.where, kind: v.image.kind, name: name(v.image), refs: v.image.refs, revision: v.image.revision ?? null, size: v.image.size, remove: v.remove, why: v.why })),
  }, steps, notes);
}
