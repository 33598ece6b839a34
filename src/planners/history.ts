import { makePlan, type Plan } from '../core/plan.js';
import { protectedByHistory } from '../core/switch/history.js';
import type { HistoryEntry, HistoryPort } from '../ports/history.js';

// `deployer history`: read-only; the plan has no steps, the report (src/cli/views/history.ts) lists
// the entries.

export async function gatherHistory(history: Pick<HistoryPort, 'read'>): Promise<HistoryEntry[]> {
  return history.read();
}

export interface HistoryPlanFacts {
  live: string | null;
  rollback: string | null;
  entries: HistoryEntry[];
}

export function planHistory(entries: readonly HistoryEntry[]): Plan<HistoryPlanFacts> {
  const { live, rollback } = protectedByHistory(entries);
  return makePlan('history', `history  (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'})`, { live: live ?? null, rollback: rollback ?? null, entries: [...entries] }, []);
}
