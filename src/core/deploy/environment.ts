// An environment as the schedulers report it. The types live in the core so pure code (planners,
// the Marathon response parser) can use them; src/ports/scheduler.ts re-exports them.

/** deploy.scheduler: which engine runs the environments. */
export type SchedulerName = 'docker' | 'marathon' | 'swarm';

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

export function isHealthy(env: Pick<EnvironmentInfo, 'healthy' | 'wanted'>): boolean {
  return env.wanted > 0 && env.healthy >= env.wanted;
}
