import type { Readable } from 'node:stream';
import type { ImageConfigLike } from '../core/build/commit-config.js';

// The local (or DOCKER_HOST) Docker engine: the container and image primitives every capability
// shares. Capability-specific operations (build, push, diff) live in their own ports beside this one.

export interface PublishedPort {
  containerPort: number;
  hostIp: string;
  /** 0 or undefined: let the engine choose a free port. */
  hostPort?: number;
}

export interface ContainerSpec {
  image: string;
  name?: string;
  cmd?: string[];
  entrypoint?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  workingDir?: string;
  user?: string;
  publish?: PublishedPort[];
  network?: string;
  networkAliases?: string[];
  restartPolicy?: 'no' | 'on-failure' | 'unless-stopped' | 'always';
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  running: boolean;
  status: string;
  exitCode: number | undefined;
  restartCount: number;
  ports: Required<PublishedPort>[];
  createdAt: Date;
}

/** An image's config as the engine reports it (the fields a delta build must carry over). */
export type ImageConfig = ImageConfigLike;

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: Date;
  labels: Record<string, string>;
  /** Number of non-empty layers (RootFS.Layers): the engine refuses to go past 125. */
  layers: number;
  config: ImageConfig;
}

/** An image on the engine as `gc --images` sees it. */
export interface LocalImage {
  id: string;
  /** Its `repo:tag` and `repo@sha256:…` names inside the repositories asked for. */
  refs: string[];
  size: number;
  created: Date;
  labels: Record<string, string>;
  /** Some container (running or stopped) was created from it. */
  inUse: boolean;
}

export interface ExecOptions {
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** Called for every complete line of stdout/stderr as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DockerPort {
  /** Undefined when the image is not on the engine. */
  imageInfo(ref: string): Promise<ImageInfo | undefined>;
  tagImage(source: string, target: string): Promise<void>;
  /** Removes a tag or image; a missing one is not an error. */
  removeImage(ref: string): Promise<void>;
  /** Images with a tag or digest in one of these repositories (`host/team/app`). */
  listImages(repositories: readonly string[]): Promise<LocalImage[]>;

  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Force-removes with volumes; a missing container is not an error. */
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  /** All containers (running or not) carrying every given label. */
  listContainers(labels: Record<string, string>): Promise<ContainerInfo[]>;
  logs(id: string, tailLines: number): Promise<string>;

  /** Runs argv inside a running container; resolves with the exit code (never rejects on non-zero). */
  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Extracts a tar into an existing directory of the container. */
  putArchive(id: string, tar: Readable | Buffer, path: string): Promise<void>;
  /** A tar of a path in the container; undefined when the path does not exist. */
  getArchive(id: string, path: string): Promise<Readable | undefined>;
  /**
   * True when the path is a directory with nothing in it, read through the API (not a program in
   * the image, which may lack rmdir or find); false when it has content, is not a directory or is absent.
   */
  isEmptyDirectory(id: string, path: string): Promise<boolean>;

  createNetwork(name: string, labels: Record<string, string>): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  listNetworks(labels: Record<string, string>): Promise<{ id: string; name: string }[]>;
}
