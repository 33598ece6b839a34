import type { Config } from '../core/config/schema.js';
import { planPreviewStep } from '../core/nginx/preview.js';
import type { Step } from '../core/steps/index.js';
import { protectedByHistory } from '../core/switch/history.js';
import type { HistoryPort } from '../ports/history.js';

// Where deploy, destroy and gc meet the switch capability: the preview file update they plan, and
// the history that names what must never be removed.

/**
 * The step that keeps `<sha12>.<preview.domain>` hostnames in line with the environments: `add` for
 * a new environment (its backends are read at apply time), `remove` for ones going away. None when
 * previews are not configured.
 */
export function planPreview(config: Config, change: { add?: readonly string[]; remove?: readonly string[] }, who: string): Step[] {
  const step = planPreviewStep(config, change, who);
  return step ? [step] : [];
}

/** The live revision and the rollback target, which gc and destroy never remove. */
export type Protected = ReturnType<typeof protectedByHistory>;

/** Without a switch section nothing was ever switched, so nothing is live: pass undefined then. */
export async function readProtected(history: Pick<HistoryPort, 'read'> | undefined): Promise<Protected> {
  return history ? protectedByHistory(await history.read()) : {};
}
