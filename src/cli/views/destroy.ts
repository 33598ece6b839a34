import type { Config } from '../../core/config/schema.js';
import { environmentId } from '../../core/deploy/spec.js';
import { shortSha } from '../../core/image-ref.js';
import type { Plan } from '../../core/plan.js';
import type { DestroyFacts } from '../../planners/destroy.js';
import type { Report } from '../command.js';

// `deployer destroy`: whether an environment was removed.

export function destroyReport(config: Config, plan: Plan, facts: DestroyFacts): Report {
  const removed = plan.steps.some((s) => s.kind === 'scheduler.destroy');
  return {
    text: removed ? `environment ${environmentId(config, facts.revision)} removed` : `no environment for ${shortSha(facts.revision)}; nothing removed`,
    json: { command: 'destroy', revision: facts.revision, removed },
  };
}
