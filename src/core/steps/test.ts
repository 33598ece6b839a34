import type { StepBase } from '../plan.js';

// Steps of test-image.
export interface PlaceholderTestStep extends StepBase {
  kind: 'test.placeholder';
}

export type TestStep = PlaceholderTestStep;
