import type { Paint } from '../render-plan.js';
import { plainPaint } from '../render-plan.js';
import type { CheckResult } from './checks.js';

// The human view of doctor's results: one line per check, the fix on the same line, a count.
// `--json` prints the results themselves (src/cli/commands/doctor.ts).

const MARKS = { ok: '✓', fail: '✗', skip: '-' } as const;

export function renderDoctor(subject: string, results: readonly CheckResult[], paint: Paint = plainPaint): string {
  const width = Math.min(44, Math.max(...results.map((r) => r.title.length), 0));
  const lines = [paint.heading(`deployer doctor  ${subject}`)];
  for (const r of results) {
    const mark = r.status === 'ok' ? paint.added(MARKS.ok) : r.status === 'fail' ? paint.removed(MARKS.fail) : paint.dim(MARKS.skip);
    const detail = r.status === 'skip' ? paint.dim(`skipped: ${r.detail}`) : r.detail;
    lines.push(`  ${mark} ${r.title.padEnd(width)}  ${detail}${r.fix ? ` — fix: ${r.fix}` : ''}`);
  }
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const failed = count('fail');
  lines.push(`${results.length} checks: ${count('ok')} passed, ${failed} failed${count('skip') ? `, ${count('skip')} skipped` : ''}.`);
  return lines.join('\n');
}
