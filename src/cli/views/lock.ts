import type { Plan } from '../../core/plan.js';
import type { LockFacts } from '../../planners/lock.js';
import type { Report } from '../command.js';

// `deployer lock release`: what was released, or that nothing was held.

export function lockReleaseReport(plan: Plan, facts: LockFacts): Report {
  return {
    text: plan.steps.length ? `released the switch lock ${facts.location}` : `the switch lock ${facts.location} is not held; nothing to release`,
    json: { command: 'lock release', released: plan.steps.length > 0, location: facts.location, owner: facts.state?.owner ?? null },
  };
}
