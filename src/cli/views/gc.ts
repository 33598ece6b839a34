import type { Config } from '../../core/config/schema.js';
import { environmentId } from '../../core/deploy/spec.js';
import type { Plan } from '../../core/plan.js';
import type { GcPlanFacts } from '../../planners/gc.js';
import type { Report } from '../command.js';

// `deployer gc`: the environments removed and the ones kept, with why.

export function gcReport(config: Config, plan: Plan<GcPlanFacts>): Report {
  const f = plan.facts;
  return {
    text: [
      ...f.remove.map((r) => `removed ${environmentId(config, r)}`),
      ...f.kept.map((k) => `kept ${environmentId(config, k.revision)} (${k.why})`),
    ].join('\n') || 'no environments',
    json: { command: 'gc', removed: f.remove, kept: f.kept },
  };
}
