import type { Config } from '../core/config/schema.js';
import { planPreviewStep } from '../core/nginx/preview.js';
import type { Step } from '../core/steps/index.js';
import type { HistoryEntry, HistoryPort } from '../ports/history.js';

// Where deploy, destroy and gc meet the switch capability: the preview file update they end with,
// and the history that names what must never be removed.

/**
 * The step that keeps `<sha12>.<preview.domain>` hostnames in line with the environments: `add` for
 * a new environment (its backends are read at apply time), `remove` for ones going away. None when
 * previews are not configured.
 */
export function planPreview(config: Config, change: { add?: readonly string[]; remove?: readonly string[] }, who: string): Step[] {
  const step = planPreviewStep(config, change, who);
  return step ? [step] : [];
}

// ─── INTEGRATION POINT (history) ────────────────────────────────────────────────────────────────
// The switch history names the live revision and the rollback target; gc and destroy never remove
// them. TODO(switch): use protectedByHistory from src/core/switch/history.ts once it is committed
// (it also skips auto-revert entries when finding the rollback target).

export interface Protected {
  live?: string;
  rollback?: string;
}

/** Live = the last entry's `to`; rollback target = the `from` of the newest non-auto-revert entry that made it live. */
export function protectedRevisions(entries: readonly HistoryEntry[]): Protected {
  const live = entries.at(-1)?.to;
  if (!live) return {};
  const made = [...entries].reverse().find((e) => e.action !== 'auto-revert' && e.to === live);
  return { live, ...(made?.from ? { rollback: made.from } : {}) };
}

/** Without a switch section nothing was ever switched, so nothing is live: pass undefined then. */
export async function readProtected(history: Pick<HistoryPort, 'read'> | undefined): Promise<Protected> {
  return history ? protectedRevisions(await history.read()) : {};
}
// ─────────────────────────────────────────────────────────────────────────────────────────────────
