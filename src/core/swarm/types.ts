// Docker Swarm as deployer sees it: the service spec it creates (the Engine API's own field names,
// so `--plan --json` shows exactly what is POSTed) and the few facts it reads back about tasks and
// nodes. Pure types: the core builds and reads them, src/adapters/docker/swarm.ts moves them.

export type SwarmRestartCondition = 'any' | 'on-failure' | 'none';

export interface SwarmResources {
  NanoCPUs?: number;
  MemoryBytes?: number;
}

export interface SwarmServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: {
      Image: string;
      Env: string[];
      Labels: Record<string, string>;
      /** Nanoseconds between SIGTERM and SIGKILL when a task is stopped. */
      StopGracePeriod: number;
    };
    RestartPolicy: { Condition: SwarmRestartCondition; Delay: number; MaxAttempts: number };
    Placement: { Constraints: string[]; MaxReplicas?: number };
    Resources: { Limits?: SwarmResources; Reservations?: SwarmResources };
  };
  Mode: { Replicated: { Replicas: number } };
  EndpointSpec: { Ports: { Protocol: 'tcp'; TargetPort: number; PublishMode: 'host' }[] };
}

export interface SwarmService {
  id: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  replicas: number;
  createdAt: Date;
}

/** Swarm's task states, in the order a task goes through them (then one of the terminal ones). */
export type SwarmTaskState =
  | 'new' | 'allocated' | 'pending' | 'assigned' | 'accepted' | 'preparing' | 'ready' | 'starting' | 'running'
  | 'complete' | 'shutdown' | 'failed' | 'rejected' | 'remove' | 'orphaned';

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot: number;
  nodeId?: string;
  /** What swarm wants the task to be: `running` for the current task of a slot, `shutdown` for replaced ones. */
  desiredState: string;
  state: SwarmTaskState | string;
  message: string;
  /** Why the task failed, was rejected, or is pending (`no suitable node (insufficient resources on 1 node)`). */
  error?: string;
  exitCode?: number;
  /** Host-mode ports the task's node published (TargetPort → PublishedPort). */
  ports: { target: number; published: number }[];
  createdAt: Date;
  /** When the task last changed state. */
  updatedAt: Date;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  /** Status.Addr: the address other machines reach the node at. */
  addr: string;
  /** ManagerStatus.Addr (`ip:2377`), for managers. */
  managerAddr?: string;
  state: string;
  availability: string;
}
