import type { Config } from '../core/config/schema.js';
import type { Step } from '../core/steps/index.js';
import type { HistoryEntry, HistoryPort } from '../ports/history.js';

// ─── INTEGRATION POINT (preview) ────────────────────────────────────────────────────────────────
// deploy, destroy and gc end with a step that rewrites `switch.previewFile` on the switch hosts so
// that every environment that exists after the plan has its `<sha12>.<preview.domain>` server block
// (and a removed one loses it). The switch capability owns that step (src/core/nginx/preview.ts and
// its step kind in src/core/steps/switch.ts); until it exists, no preview step is planned.
// Replace the two functions below with calls into it; the planners call nothing else.

/** Read-only facts the preview step needs (e.g. the current preview file on each switch host). */
export type PreviewFacts = undefined;

export async function gatherPreviewFacts(_config: Config): Promise<PreviewFacts> {
  return undefined;
}

/**
 * Steps that bring the preview file in line with `revisions` (every environment that exists once
 * the plan's other steps ran). Backends of a new environment are only known after it deployed, so
 * the step's handler reads them from the scheduler at apply time.
 */
export function planPreview(_config: Config, _facts: PreviewFacts, _revisions: readonly string[]): Step[] {
  return [];
}
// ─────────────────────────────────────────────────────────────────────────────────────────────────

// ─── INTEGRATION POINT (history) ────────────────────────────────────────────────────────────────
// The switch history names the live revision and the rollback target; gc and destroy never remove
// them. `ports.history` is wired by the switch capability; until it is, commands pass undefined.

export interface Protected {
  live?: string;
  rollback?: string;
}

/** Live = the last entry's `to`; rollback target = the last entry's `from` (see src/ports/history.ts). */
export function protectedRevisions(entries: readonly HistoryEntry[]): Protected {
  const last = entries.at(-1);
  if (!last) return {};
  return { live: last.to, ...(last.from ? { rollback: last.from } : {}) };
}

export async function readProtected(history: Pick<HistoryPort, 'read'> | undefined): Promise<Protected> {
  return history ? protectedRevisions(await history.read()) : {};
}
// ─────────────────────────────────────────────────────────────────────────────────────────────────
