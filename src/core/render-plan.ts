import type { Plan } from './plan.js';

// Renders a plan as a reviewable, diff-like text. Colour is applied by the
// CLI through the `paint` callbacks so the core stays free of chalk.

export interface Paint {
  added(s: string): string;
  removed(s: string): string;
  heading(s: string): string;
  dim(s: string): string;
}

export const plainPaint: Paint = { added: (s) => s, removed: (s) => s, heading: (s) => s, dim: (s) => s };

const STEP_MARKS: Record<string, string> = { create: '+', change: '~', remove: '-', run: '>' };

/** Step kinds map to a mark by prefix of their verb; anything else is an action (`>`). */
function markFor(kind: string): string {
  const verb = kind.split('.').pop() ?? '';
  if (/^(write|switch|tag|update|replace)/.test(verb)) return STEP_MARKS.change!;
  if (/^(create|deploy|build|commit|push|start)/.test(verb)) return STEP_MARKS.create!;
  if (/^(remove|destroy|delete|stop)/.test(verb)) return STEP_MARKS.remove!;
  return STEP_MARKS.run!;
}

export function renderPlanText(plan: Plan, paint: Paint = plainPaint, opts: { applied?: boolean } = {}): string {
  const lines: string[] = [paint.heading(`deployer ${plan.subject}`)];
  for (const step of plan.steps) {
    lines.push(`  ${markFor(step.kind)} ${step.title}`);
    if (step.reason) lines.push(paint.dim(`      (${step.reason})`));
    for (const d of step.detail ?? []) {
      const styled = d.startsWith('+') && !d.startsWith('+++') ? paint.added(d)
        : d.startsWith('-') && !d.startsWith('---') ? paint.removed(d) : d;
      lines.push(`      ${styled}`);
    }
  }
  for (const note of plan.notes) lines.push(paint.dim(`  note: ${note}`));
  const n = plan.steps.length;
  if (!opts.applied) {
    lines.push(n === 0 ? 'Plan: nothing to do. Nothing has been changed.'
      : `Plan: ${n} step${n === 1 ? '' : 's'}. Nothing has been changed.`);
  }
  return lines.join('\n');
}
