import type { ImageConfigLike } from '../core/build/commit-config.js';
import { parseDockerignore } from '../core/build/dockerignore.js';
import { PreconditionError, UsageError } from '../core/errors.js';
import type { Clock } from '../ports/clock.js';
import type { DockerPort } from '../ports/docker.js';
import type { GitPort } from '../ports/git.js';
import type { ImagesPort } from '../ports/images.js';

// Facts the three build planners share, gathered through read-only port methods only.

export interface BuildReadPorts {
  git: Pick<GitPort, 'resolve' | 'diff' | 'isDirty' | 'show' | 'dirsAt'>;
  docker: Pick<DockerPort, 'imageInfo'>;
  images: Pick<ImagesPort, 'registry' | 'registryAccess' | 'remote'>;
  clock: Pick<Clock, 'now'>;
}

/** What is known about one image name, locally and in the registry. */
export interface ImageFacts {
  ref: string;
  /** Local image id, if the engine has the tag. */
  localId?: string;
  /** Registry config digest (= image id), if the registry has the tag. */
  remoteId?: string;
  /** From whichever copy is authoritative (the registry's when configured and present). */
  labels: Record<string, string>;
  layers: number;
  created?: string;
  config: ImageConfigLike;
}

/** The image under `ref`: the registry's copy when a registry is configured, else the local one. */
export async function imageFacts(ports: Pick<BuildReadPorts, 'docker' | 'images'>, ref: string, signal?: AbortSignal): Promise<ImageFacts | undefined> {
  const [local, remote] = await Promise.all([ports.docker.imageInfo(ref), ports.images.remote(ref, signal)]);
  const src = remote ?? local;
  if (!src) return undefined;
  return {
    ref,
    ...(local ? { localId: local.id } : {}),
    ...(remote ? { remoteId: remote.id } : {}),
    labels: { ...(src.labels ?? {}) },
    layers: src.layers,
    ...(remote?.created ? { created: remote.created.toISOString() } : local ? { created: local.created.toISOString() } : {}),
    config: { ...src.config },
  };
}

/** The id the image has where it will be used (after a pull if the registry's differs). */
export function effectiveId(f: ImageFacts): string {
  return f.remoteId ?? f.localId!;
}

/** True when the engine must pull before using the image. */
export function needsPull(f: ImageFacts): boolean {
  return f.remoteId !== undefined && f.localId !== f.remoteId;
}

export async function dockerignoreAt(git: Pick<GitPort, 'show'>, sha: string): Promise<string[]> {
  const buf = await git.show(sha, '.dockerignore');
  return buf ? parseDockerignore(buf.toString('utf8')) : [];
}

/** Resolves a revision that an image label names; an unknown one is a precondition, not a typo. */
export async function resolveLabelledRevision(git: Pick<GitPort, 'resolve'>, rev: string, from: string): Promise<string> {
  try {
    return await git.resolve(rev);
  } catch (e) {
    if (e instanceof UsageError) {
      throw new PreconditionError(`${from} was built from revision ${rev.slice(0, 12)}, which this repository does not have`, {
        hint: 'git fetch (the build needs the base revision to compute the changes)',
        cause: e,
        code: 'git.unknown-base',
      });
    }
    throw e;
  }
}
