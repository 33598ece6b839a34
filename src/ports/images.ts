import type { Readable } from 'node:stream';
import type { CommitConfig } from '../core/build/commit-config.js';
import type { FsManifest } from '../core/build/fs-diff.js';
import type { ImageConfig } from './docker.js';

// Building, committing, pushing and pulling images, and reading what a registry holds. The read
// methods (registryAccess, remote) are what planners may use; everything else changes something.
// Without a configured registry nothing is pushed or pulled: `remote` answers undefined and the
// planners use the local engine only.

export interface RemoteImage {
  ref: string;
  /** Manifest digest (what `docker pull ref@digest` names). */
  digest: string;
  /** Config digest: equal to the local image id once pulled. */
  id: string;
  created: Date | undefined;
  labels: Record<string, string>;
  /** Number of layers (rootfs diff ids). */
  layers: number;
  config: ImageConfig;
}

export interface BuildRequest {
  /** A tar of the build context (uncompressed), e.g. `git archive`. */
  context: Readable;
  /** .dockerignore patterns: matching entries are dropped from the context on the way to the engine. */
  exclude: string[];
  dockerfile: string;
  tag: string;
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
  signal: AbortSignal;
  /** Every line of build output, as it arrives. */
  onLine?: (line: string) => void;
}

export interface PushResult {
  digest: string | undefined;
  /** Compressed bytes of the layers uploaded (from the registry's manifest; layers it already had count 0). */
  bytesPushed: number;
  layersPushed: number;
  layersExisting: number;
}

export interface TransferOptions {
  signal: AbortSignal;
  /** Progress for a person (a spinner text, or nothing in CI). */
  onProgress?: (message: string) => void;
}

export interface CommitRequest {
  container: string;
  ref: string;
  config: CommitConfig;
  comment?: string;
}

export interface ImagesPort {
  /** The configured registry host, or undefined when images stay local. */
  readonly registry: string | undefined;
  /**
   * Read-only: can we reach the registry with the configured credentials? Rejects with a
   * PreconditionError (credentials refused) or StepFailedError (unreachable after retries).
   */
  registryAccess(signal?: AbortSignal): Promise<void>;
  /** Read-only: what the registry holds under a ref; undefined when absent or no registry is set. */
  remote(ref: string, signal?: AbortSignal): Promise<RemoteImage | undefined>;

  build(req: BuildRequest): Promise<{ id: string }>;
  push(ref: string, opts: TransferOptions): Promise<PushResult>;
  pull(ref: string, opts: TransferOptions): Promise<void>;
  commit(req: CommitRequest): Promise<{ id: string }>;
  /**
   * The file system of an image, hashed: made from a created (never started) container's export,
   * which is removed again before this resolves or rejects.
   */
  snapshot(image: string, opts: { signal: AbortSignal }): Promise<FsManifest>;
}
