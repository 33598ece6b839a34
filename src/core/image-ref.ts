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
