import type { StepBase } from '../plan.js';

// Steps of switch, rollback and lock release.
export interface PlaceholderSwitchStep extends StepBase {
  kind: 'switch.placeholder';
}

export type SwitchStep = PlaceholderSwitchStep;
