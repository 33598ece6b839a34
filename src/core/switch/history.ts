import type { HistoryEntry } from '../../ports/history.js';
import { shortSha } from '../image-ref.js';

// What the history says is live and what a rollback goes back to. An `auto-revert` entry (a switch
// that failed verification and was undone) restores the live revision but is not a step anyone would
// want to "roll back" to, so the rollback target skips it.

/** The revision the last entry made live, or null with no history. */
export function liveFromHistory(entries: readonly HistoryEntry[]): string | null {
  return entries.at(-1)?.to ?? null;
}

/**
 * The revision that was live before `live`: the `from` of the newest switch or rollback that made
 * `live` live. Undefined when the history does not know one.
 */
export function rollbackTarget(entries: readonly HistoryEntry[], live: string | null): string | undefined {
  if (!live) return undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.action === 'auto-revert') continue;
    if (e.to === live) return e.from ?? undefined;
  }
  return undefined;
}

/** Live revision and rollback target in one go (what gc and status protect and show). */
export function protectedByHistory(entries: readonly HistoryEntry[]): { live?: string; rollback?: string } {
  const live = liveFromHistory(entries);
  const rollback = rollbackTarget(entries, live);
  return { ...(live ? { live } : {}), ...(rollback ? { rollback } : {}) };
}

export function describeEntry(e: HistoryEntry): string {
  const from = e.from ? shortSha(e.from) : '(none)';
  const forced = e.forcedReason ? `  forced: ${e.forcedReason}` : '';
  return `${e.at}  ${e.action.padEnd(11)}  ${from} -> ${shortSha(e.to)}  by ${e.by}  on ${e.hosts.join(', ')}  plan ${e.planHash.slice(0, 12)}${forced}`;
}
