import type { StepBase } from '../plan.js';

// Steps of full-build, delta-build and verify.
export interface PlaceholderBuildStep extends StepBase {
  kind: 'build.placeholder';
}

export type BuildStep = PlaceholderBuildStep;
