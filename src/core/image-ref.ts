import type { Config } from './config/schema.js';

// Deterministic names, so a plan can name every artefact before anything runs.

export const LABELS = {
  app: 'deployer.app',
  revision: 'deployer.revision',
  kind: 'deployer.kind',
  builtAt: 'deployer.built-at',
  baseRevision: 'deployer.base-revision',
  changeClass: 'deployer.change-class',
  dirty: 'deployer.dirty',
  /** On an environment: the manifest digest its image is pinned to (`sha256:…`). */
  digest: 'deployer.image-digest',
} as const;

export type ImageKind = 'full' | 'delta';

/** `<registry>/<repo>` or just `<repo>` when no registry is configured. */
export function repository(config: Pick<Config, 'registry' | 'images'>, kind: ImageKind): string {
  const repo = config.images[kind];
  return config.registry ? `${config.registry.host}/${repo}` : repo;
}

export function imageRef(config: Pick<Config, 'registry' | 'images'>, kind: ImageKind, tag: string): string {
  return `${repository(config, kind)}:${tag}`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 12);
}

export function isFullSha(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/**
 * `<repo>@sha256:…`: the one image reference every scheduler is handed once a registry is
 * configured. A tag can be pushed again; a digest names the same bytes for ever.
 */
export function pinnedRef(repo: string, digest: string): string {
  return `${repo}@${digest}`;
}

/** The digest of a pinned ref; undefined for a ref by tag. */
export function digestOf(ref: string): string | undefined {
  const d = ref.slice(ref.indexOf('@') + 1);
  return ref.includes('@') && DIGEST.test(d) ? d : undefined;
}

/** The repository of a ref: without its digest, or its tag (a `:` after the last `/`). */
export function repositoryOf(ref: string): string {
  const bare = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
  const colon = bare.lastIndexOf(':');
  return colon > bare.lastIndexOf('/') ? bare.slice(0, colon) : bare;
}

/** `sha256:abc…` → `abc…` shortened for people. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}
