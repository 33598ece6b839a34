import type { StepBase } from '../plan.js';

// Steps of deploy, destroy and gc.
export interface PlaceholderDeployStep extends StepBase {
  kind: 'deploy.placeholder';
}

export type DeployStep = PlaceholderDeployStep;
