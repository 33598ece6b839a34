import { describeEntry } from '../../core/switch/history.js';
import type { Plan } from '../../core/plan.js';
import type { HistoryPlanFacts } from '../../planners/history.js';
import type { HistoryEntry } from '../../ports/history.js';
import type { Report } from '../command.js';

// `deployer history`: one line per switch; --json the plan's facts (live, rollback target, entries).

export function renderHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no switches recorded yet';
  return entries.map(describeEntry).join('\n');
}

export function historyReport(plan: Plan<HistoryPlanFacts>): Report {
  return { text: renderHistory(plan.facts.entries), json: { command: 'history', ...plan.facts } };
}
