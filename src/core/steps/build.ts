import type { CommitConfig, ContainerCommand } from '../build/commit-config.js';
import type { StepBase } from '../plan.js';

// Steps of full-build, delta-build and verify.
//
// Nothing half-tagged: a step that creates or moves a local tag meant for the registry is
// `provisional` when a push of that tag follows in the plan. Its handler registers a cleanup that
// runs on every exit path and undoes the tag (restoring `previousId`, the image the tag named
// before, if any) unless the push succeeded. So a failed build, push or Ctrl-C leaves local tags as
// they were, and `:latest` moves only once `:<sha>` is in the registry. Without a registry nothing
// is provisional: the local tags are the result.

export interface TagUndo {
  /** Undo this run's tag on any exit path unless the tag was pushed. */
  provisional: boolean;
  /** The image id the tag pointed at before this run (restored on undo), if any. */
  previousId?: string;
}

/** docker build of the Dockerfile from `git archive <revision>` minus .dockerignore. */
export interface BuildImageStep extends StepBase, TagUndo {
  kind: 'build.image';
  revision: string;
  dockerfile: string;
  /** .dockerignore patterns at the revision (already parsed). */
  exclude: string[];
  tag: string;
  labels: Record<string, string>;
  buildArgs: Record<string, string>;
}

export interface PullImageStep extends StepBase {
  kind: 'build.pull';
  ref: string;
}

export interface TagImageStep extends StepBase, TagUndo {
  kind: 'build.tag';
  source: string;
  target: string;
}

export interface PushImageStep extends StepBase {
  kind: 'build.push';
  ref: string;
}

/** Creates the delta's build container (registered for removal on every path), started only if needed. */
export interface CreateBuildContainerStep extends StepBase {
  kind: 'build.container';
  name: string;
  image: string;
  /** Replaces the image's command: the app never runs during a build. */
  command: ContainerCommand;
  /** Deletions and installs need a running container; copying files does not. */
  start: boolean;
  /**
   * exec.via: ssh — the container runs sshd alone (its command above), its port is published on
   * 127.0.0.1, and commands go over ssh with the host key read from the container and pinned.
   */
  ssh?: { port: number; hostKeyPath: string; readyTimeoutSeconds: number };
}

export interface DeleteFilesStep extends StepBase {
  kind: 'build.delete';
  container: string;
  /** Absolute paths in the image (files and symlinks), removed with `rm -f`. */
  paths: string[];
  /** Directories left empty in git, removed if nothing else lives there (emptiness read through the Docker API; deepest first). */
  dirs: string[];
}

export interface CopyFilesStep extends StepBase {
  kind: 'build.copy';
  container: string;
  revision: string;
  /** Repository paths, copied as `git archive <revision> -- <paths>` into appDir. */
  paths: string[];
  appDir: string;
}

export interface InstallDepsStep extends StepBase {
  kind: 'build.deps';
  container: string;
  depsDir: string;
  command: string[];
  workingDir: string;
}

export interface CommitStep extends StepBase, TagUndo {
  kind: 'build.commit';
  container: string;
  ref: string;
  config: CommitConfig;
  /** Layers of the base; the commit must add exactly one. */
  baseLayers: number;
}

export interface CompareStep extends StepBase {
  kind: 'build.compare';
  full: string;
  delta: string;
  /** Absolute globs whose differences do not count. */
  ignore: string[];
}

export type BuildStep =
  | BuildImageStep
  | PullImageStep
  | TagImageStep
  | PushImageStep
  | CreateBuildContainerStep
  | DeleteFilesStep
  | CopyFilesStep
  | InstallDepsStep
  | CommitStep
  | CompareStep;
