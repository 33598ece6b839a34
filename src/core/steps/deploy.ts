import type { SchedulerName } from '../deploy/environment.js';
import type { DeploySpec } from '../deploy/spec.js';
import type { StepBase } from '../plan.js';

// Steps of deploy, destroy and gc. Each names the environment it creates or removes; the values only
// known during apply (docker host ports, Marathon task hosts) are read back by the handler.

/** Create the environment and wait until every instance is healthy (or fail with a diagnosis). */
export interface SchedulerDeployStep extends StepBase {
  kind: 'scheduler.deploy';
  scheduler: SchedulerName;
  /** Container name stem or Marathon app id. */
  environment: string;
  spec: DeploySpec;
  /** Leave a failed environment in place for debugging instead of removing it. */
  keepFailed: boolean;
}

/** Remove an environment (every container, or the Marathon app). A missing one is not an error. */
export interface SchedulerDestroyStep extends StepBase {
  kind: 'scheduler.destroy';
  scheduler: SchedulerName;
  environment: string;
  app: string;
  revision: string;
}

export type DeployStep = SchedulerDeployStep | SchedulerDestroyStep;
