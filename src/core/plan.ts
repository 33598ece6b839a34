import type { Step } from './steps/index.js';

// A plan is data (Terraform's lesson): facts gathered read-only, every decision made by a pure
// planner, steps the one executor runs. `--plan` renders it and stops; that is the only dry-run
// branch in the code.

export const PLAN_VERSION = 1;

/** What every step carries. `reason` is for display only: the executor never reads it. */
export interface StepBase {
  /** Unique within the plan, deterministic (e.g. `push-delta`). */
  id: string;
  kind: string;
  /** One line for a person: "commit registry:5000/web-app:3f2a…". */
  title: string;
  reason?: string;
  /** Extra lines rendered under the title, e.g. a unified diff or a file list. */
  detail?: string[];
}

/**
 * F is the planner's facts type: a report reads `plan.facts` as the planner typed them, never through
 * a cast (test/unit/core/typed-plans.test.ts keeps it so).
 */
export interface Plan<F extends object = object> {
  version: typeof PLAN_VERSION;
  command: string;
  /** The header line a person reads first: `deployer switch 3f2a9c1e0b7d  (live: 9ac04b2d11fe)`. */
  subject: string;
  facts: F;
  steps: Step[];
  notes: string[];
}

export function makePlan<F extends object>(
  command: string,
  subject: string,
  facts: F,
  steps: Step[],
  notes: string[] = [],
): Plan<F> {
  const ids = new Set<string>();
  for (const s of steps) {
    if (ids.has(s.id)) throw new Error(`plan for ${command} has duplicate step id ${s.id}`);
    ids.add(s.id);
  }
  return { version: PLAN_VERSION, command, subject, facts, steps, notes };
}

/** The JSON document `--plan --json` prints. Sensitive values render as [REDACTED] via toJSON. */
export function planToJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2);
}

/** Stable hash input for recording "what was approved" (the history stores a hash of it). */
export function planFingerprint(plan: Plan): string {
  return JSON.stringify({ command: plan.command, steps: plan.steps });
}
