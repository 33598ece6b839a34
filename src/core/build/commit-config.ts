// Committing the delta's build container without losing the base image's config.
//
// The engine forms a committed image's config by merging the request with the CONTAINER's config,
// not the parent image's (moby daemon/commit.go merge(), verified on 20.10): an Entrypoint or Cmd
// given when the build container was created is baked in unless the request names them. And the
// merge treats a null Entrypoint as "take the container's", a non-null empty one as "none". So:
//  - the build container's command is replaced by a keep-alive (the app must not run during the
//    build: nothing it writes when it starts may land in the image);
//  - the commit restores Cmd, Entrypoint, Env, ExposedPorts, WorkingDir, User and Labels from the
//    base image explicitly, choosing the override so that the base's null stays null.

export interface ImageConfigLike {
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[] | null;
  ExposedPorts?: Record<string, object> | null;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string> | null;
}

/** The keep-alive command: busybox and coreutils sleep both take this (about 68 years). */
export const KEEP_ALIVE = ['sleep', '2147483647'] as const;

export interface ContainerCommand {
  entrypoint?: string[];
  cmd: string[];
}

const empty = (a: readonly string[] | null | undefined) => !a || a.length === 0;

/**
 * When the base has no Entrypoint but a Cmd, only Cmd is overridden, so the container's Entrypoint
 * stays null and the commit can restore the Cmd alone. Otherwise the Entrypoint is overridden
 * with an empty Cmd, and the commit names both.
 */
export function buildContainerCommand(base: ImageConfigLike, keepAlive: readonly string[] = KEEP_ALIVE): ContainerCommand {
  // (exec.via: ssh passes sshd here: it keeps the container alive too, and runs nothing of the app.)
  if (empty(base.Entrypoint) && !empty(base.Cmd)) return { cmd: [...keepAlive] };
  return { entrypoint: [...keepAlive], cmd: [] };
}

export interface CommitConfig {
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  Env: string[];
  ExposedPorts: Record<string, object>;
  WorkingDir: string;
  User: string;
  Labels: Record<string, string>;
}

export function commitConfig(base: ImageConfigLike, labels: Record<string, string>): CommitConfig {
  // Whatever the keep-alive command, the choice between overriding Cmd or Entrypoint is the same.
  const overrodeEntrypoint = buildContainerCommand(base).entrypoint !== undefined;
  return {
    Cmd: base.Cmd ? [...base.Cmd] : null,
    // null only when the container kept the base's own null Entrypoint (see buildContainerCommand).
    Entrypoint: overrodeEntrypoint ? [...(base.Entrypoint ?? [])] : base.Entrypoint ? [...base.Entrypoint] : null,
    Env: [...(base.Env ?? [])],
    ExposedPorts: { ...(base.ExposedPorts ?? {}) },
    WorkingDir: base.WorkingDir ?? '',
    User: base.User ?? '',
    Labels: { ...(base.Labels ?? {}), ...labels },
  };
}
