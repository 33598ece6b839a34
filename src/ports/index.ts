import type { Clock } from './clock.js';
import type { ContainerSshPort } from './container-ssh.js';
import type { DockerPort } from './docker.js';
import type { GitPort } from './git.js';
import type { Log } from './log.js';
import type { LocalFiles } from './files.js';
import type { HistoryPort } from './history.js';
import type { HookRunner } from './hooks.js';
import type { HttpPort } from './http.js';
import type { ImagesPort } from './images.js';
import type { LbHosts } from './lb-hosts.js';
import type { SwitchLockPort } from './lock.js';
import type { TestRecordStore } from './records.js';
import type { SchedulerPort } from './scheduler.js';
import type { RegistryPort } from './registry.js';

// Everything a planner or step handler may touch, built only by the entry point (src/cli/wire.ts).
// Capabilities add their own ports here as fields.
export interface Ports {
  git: GitPort;
  docker: DockerPort;
  clock: Clock;
  log: Log;
  /** Passing test-image runs, by image id (written by test-image, read by switch). */
  records: TestRecordStore;
  http: HttpPort;
  files: LocalFiles;
  /** Environments: the docker engine or Marathon, per deploy.scheduler (deploy, destroy, gc, status, switch). */
  scheduler: SchedulerPort;
  /** Image build, commit, push and pull, and registry lookups (full-build, delta-build, verify). */
  images: ImagesPort;
  /** The registry's repositories through its API (`gc --images --registry`). */
  registry: RegistryPort;
  /** exec.via: ssh — commands in a build or test container over its published sshd, host key pinned. */
  containerSsh: ContainerSshPort;
  /** The switch hosts (`switch.hosts`): local or over SSH, by resolved name (switch, rollback, previews, status). */
  lb: LbHosts;
  /** The per-app switch lock on the first switch host. */
  lock: SwitchLockPort;
  /** The switch history beside the lock (live revision, rollback target). */
  history: HistoryPort;
  /** The `hooks:` commands, run as local processes. */
  hooks: HookRunner;
}

export type { Clock, DockerPort, GitPort, Log };
