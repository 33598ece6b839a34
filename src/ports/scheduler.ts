// Environments: N instances of one revision's image, behind one port, three adapters (the local
// Docker engine, Docker Swarm and Marathon). `switch` reads backends through it; `deploy`, `destroy`, `gc` change it.

import type { DeploySpec } from '../core/deploy/spec.js';
import type { Backend, EnvironmentInfo, InstanceInfo, InstanceState, SchedulerName } from '../core/deploy/environment.js';

export type { Backend, DeploySpec, EnvironmentInfo, InstanceInfo, InstanceState, SchedulerName };

export interface DeployProgress {
  (message: string): void;
}

/** What a plan needs to know about the scheduler itself (read-only). */
export interface DeployOptions {
  signal: AbortSignal;
  progress?: DeployProgress;
  /**
   * Called once the scheduler has created (or may have created) something of the environment. A
   * failure before it (422, a lock held by someone else) left nothing behind to clean up.
   */
  onCreated?: () => void;
}

export interface SchedulerAbout {
  /** For people: `docker (local engine)`, `swarm (…)` or the Marathon URL. */
  endpoint: string;
  /** Marathon's version from /v2/info: decides the app definition's payload style. */
  version?: string;
}

export interface SchedulerPort {
  readonly name: SchedulerName;
  about(): Promise<SchedulerAbout>;
  /** Every environment of the app this scheduler knows. */
  list(app: string): Promise<EnvironmentInfo[]>;
  get(app: string, revision: string): Promise<EnvironmentInfo | undefined>;
  /**
   * Creates the environment and resolves once every instance is healthy. On timeout or failure it
   * rejects with a StepFailedError whose details are the diagnosis (per-instance state, last health
   * response, log tail); the environment is left in place (the caller decides to remove it).
   */
  deploy(spec: DeploySpec, opts: DeployOptions): Promise<EnvironmentInfo>;
  destroy(app: string, revision: string, opts: { signal: AbortSignal }): Promise<void>;
}
