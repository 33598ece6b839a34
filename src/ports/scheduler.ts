// Environments: N instances of one revision's image, behind one port, two adapters (the local Docker
// engine and Marathon). `switch` reads backends through it; `deploy`, `destroy`, `gc` change it.

export interface Backend {
  host: string;
  port: number;
}

export type InstanceState = 'healthy' | 'unhealthy' | 'starting' | 'unknown' | 'stopped';

export interface InstanceInfo {
  id: string;
  state: InstanceState;
  backend?: Backend;
  /** Last health check response or failure cause, for diagnosis. */
  lastHealth?: string;
}

export interface EnvironmentInfo {
  /** Full 40-char git sha. */
  revision: string;
  /** Scheduler-side id: a Marathon app id or the docker label value. */
  id: string;
  image: string;
  wanted: number;
  instances: InstanceInfo[];
  /** Healthy instances' backends; complete only when healthy === wanted. */
  backends: Backend[];
  healthy: number;
  createdAt?: Date;
}

export interface DeploySpec {
  app: string;
  revision: string;
  image: string;
  instances: number;
  port: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  healthCheck: { path: string; intervalSeconds: number; timeoutSeconds: number; gracePeriodSeconds: number; maxConsecutiveFailures: number };
  timeoutSeconds: number;
}

export interface DeployProgress {
  (message: string): void;
}

export interface SchedulerPort {
  readonly name: 'docker' | 'marathon';
  /** Every environment of the app this scheduler knows. */
  list(app: string): Promise<EnvironmentInfo[]>;
  get(app: string, revision: string): Promise<EnvironmentInfo | undefined>;
  /**
   * Creates the environment and resolves once every instance is healthy. On timeout or failure it
   * rejects with a StepFailedError whose details are the diagnosis (per-instance state, last health
   * response, log tail); the environment is left in place (the caller decides to remove it).
   */
  deploy(spec: DeploySpec, opts: { signal: AbortSignal; progress?: DeployProgress }): Promise<EnvironmentInfo>;
  destroy(app: string, revision: string, opts: { signal: AbortSignal }): Promise<void>;
}
