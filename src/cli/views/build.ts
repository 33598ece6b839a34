import { renderDifference } from '../../core/build/fs-diff.js';
import { shortId } from '../../core/build/refs.js';
import { humanBytes } from '../../core/bytes.js';
import type { Plan } from '../../core/plan.js';
import { BUILT_IMAGES, PUSHED_IMAGES, VERIFY_RESULT } from '../../exec/build-results.js';
import type { Results } from '../../exec/results.js';
import type { Report } from '../command.js';

// What full-build, delta-build and verify print once their steps ran (stdout; --json for machines).

export function buildReport(plan: Plan, results: Results, skipped: string | undefined): Report {
  const p = Object.fromEntries(results.entries(PUSHED_IMAGES));
  const made = Object.fromEntries(results.entries(BUILT_IMAGES));
  const lines: string[] = [];
  if (skipped) lines.push(skipped);
  for (const [ref, img] of Object.entries(made)) lines.push(`built ${ref} (${shortId(img.id)}, ${img.layers} layers)`);
  for (const s of plan.steps) if (s.kind === 'build.tag') lines.push(`tagged ${s.target}`);
  for (const [ref, r] of Object.entries(p)) lines.push(`pushed ${ref} ${r.digest ?? ''} (${humanBytes(r.bytesPushed)} in ${r.layersPushed} new layer${r.layersPushed === 1 ? '' : 's'})`);
  return {
    text: lines.join('\n') || 'nothing to do',
    json: { command: plan.command, ...plan.facts, skipped: skipped ?? null, built: made, pushed: p, tagged: plan.steps.flatMap((s) => (s.kind === 'build.tag' ? [s.target] : [])) },
  };
}

/** Images that differ are the command's finding, not a failed step: the report says so, exit 1. */
export function verifyReport(results: Results): Report {
  const r = results.get(VERIFY_RESULT);
  if (!r) return { text: 'verify did not run', json: { equal: null }, verdict: 'failed' };
  const head = r.equal
    ? `equal: ${r.full} and ${r.delta} have the same file system (${r.compared} paths compared)`
    : `DIFFERENT: ${r.full} and ${r.delta} differ in ${r.differences.length} path${r.differences.length === 1 ? '' : 's'} (of ${r.compared})`;
  return {
    text: [head, ...r.differences.map((d) => `  ${renderDifference(d)}`)].join('\n'),
    json: r,
    verdict: r.equal ? 'passed' : 'failed',
  };
}
