import type { SwarmNode, SwarmService, SwarmServiceSpec, SwarmTask } from '../core/swarm/types.js';

// The Docker engine's swarm API (a manager node, local or DOCKER_HOST): services, their tasks and
// the nodes they run on. The swarm scheduler is built on it; src/adapters/docker/swarm.ts is dockerode.

export type { SwarmNode, SwarmService, SwarmServiceSpec, SwarmTask };

export interface SwarmInfo {
  /** `active` when the engine is a swarm node; `inactive`, `pending`, `error`, `locked` otherwise. */
  state: string;
  /** Only managers serve the service API. */
  manager: boolean;
  nodeId?: string;
  nodes?: number;
}

export interface SwarmPort {
  info(): Promise<SwarmInfo>;
  /** Returns the service id. Sends the registry's credentials when the image is in it. */
  createService(spec: SwarmServiceSpec, opts: { signal: AbortSignal }): Promise<string>;
  /** Services carrying every given label. */
  listServices(labels: Record<string, string>): Promise<SwarmService[]>;
  /** A missing service is not an error. */
  removeService(id: string): Promise<void>;
  /** Every task (current and replaced) carrying every given label, also of just-removed services. */
  listTasks(labels: Record<string, string>): Promise<SwarmTask[]>;
  listNodes(): Promise<SwarmNode[]>;
  /** The last lines a task wrote (stdout and stderr); '' when there are none or it is gone. */
  taskLogs(taskId: string, tailLines: number): Promise<string>;
}
