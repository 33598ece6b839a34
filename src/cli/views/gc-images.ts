import { humanBytes } from '../../core/bytes.js';
import type { Plan } from '../../core/plan.js';
import type { ImageGcPlanFacts } from '../../planners/gc-images.js';
import type { Report } from '../command.js';

// `deployer gc --images`: every image looked at, removed or kept, and why.

export function imageGcReport(plan: Plan<ImageGcPlanFacts>): Report {
  const images = plan.facts.images;
  return {
    text: images.map((i) => `${i.remove ? 'removed' : 'kept'} ${i.name} (${i.where}, ${humanBytes(i.size)}): ${i.why}`).join('\n') || 'no images',
    json: { command: 'gc', images },
  };
}
