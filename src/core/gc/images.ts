import type { ImageKind } from '../image-ref.js';

// `gc --images`: which delta and full images go, on the engine and in the registry. Pure. An image
// stays when it is live, the rollback target, used by an environment or any container, the newest
// full image, or one of the newest `keep` of its kind and place; everything else goes. An image
// whose age is unknown counts as newest: never removed by guess.

export interface GcImage {
  where: 'engine' | 'registry';
  kind: ImageKind;
  repository: string;
  /** Engine: the image id; registry: the manifest digest. */
  key: string;
  /** Names shown and removed: `repo:tag` / `repo@sha256:…`. */
  refs: string[];
  revision: string | undefined;
  size: number;
  created: Date | undefined;
  /** Engine: a container was created from it. */
  inUse?: boolean;
  /** Registry: the manifest digest of its test record, removed with it. */
  record?: string;
}

export interface ImageGcProtect {
  live: string | undefined;
  rollback: string | undefined;
  /** Every environment: its revision and the ref its scheduler runs. */
  environments: { revision: string; image: string }[];
  keep: number;
}

export interface ImageVerdict {
  image: GcImage;
  remove: boolean;
  why: string;
}

const age = (i: GcImage) => i.created?.getTime() ?? Number.POSITIVE_INFINITY;

export function decideImageGc(images: readonly GcImage[], p: ImageGcProtect): ImageVerdict[] {
  const newest = new Map<string, Set<string>>();
  const groups = new Map<string, GcImage[]>();
  for (const i of images) groups.set(`${i.where} ${i.kind}`, [...(groups.get(`${i.where} ${i.kind}`) ?? []), i]);
  for (const [g, list] of groups) newest.set(g, new Set([...list].sort((a, b) => age(b) - age(a)).slice(0, Math.max(0, p.keep)).map((i) => i.key)));
  const newestFull = new Map<string, string>();
  for (const where of ['engine', 'registry'] as const) {
    const top = [...(groups.get(`${where} full`) ?? [])].sort((a, b) => age(b) - age(a))[0];
    if (top) newestFull.set(where, top.key);
  }

  return images.map((image): ImageVerdict => {
    const why = keepReason(image, p, newest.get(`${image.where} ${image.kind}`)!, newestFull.get(image.where));
    return why ? { image, remove: false, why } : { image, remove: true, why: `older than the newest ${p.keep} ${image.kind} images, not live, the rollback target or in use` };
  }).sort((a, b) => age(b.image) - age(a.image));
}

function keepReason(i: GcImage, p: ImageGcProtect, newest: Set<string>, newestFull: string | undefined): string | undefined {
  if (i.revision && i.revision === p.live) return 'live';
  if (i.revision && i.revision === p.rollback) return 'rollback target';
  const env = p.environments.find((e) => i.refs.includes(e.image) || (i.kind === 'delta' && i.revision === e.revision));
  if (env) return `used by the environment of ${env.revision.slice(0, 12)}`;
  if (i.inUse) return 'a container was created from it';
  if (i.kind === 'full' && i.key === newestFull) return 'the newest full image';
  if (i.refs.some((r) => r.endsWith(':latest'))) return 'tagged :latest';
  if (newest.has(i.key)) return `one of the newest ${p.keep}`;
  if (!i.created) return 'age unknown';
  return undefined;
}
