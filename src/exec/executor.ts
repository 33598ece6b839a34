import { DeployerError, interruptedBy, StepFailedError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import type { Step } from '../core/steps/index.js';
import type { ExecContext } from './context.js';
import { Results } from './results.js';
import type { HandlersFor } from './handlers/types.js';

export interface StepObserver {
  started(step: Step, index: number, total: number): void;
  finished(step: Step, ms: number): void;
  failed(step: Step, ms: number, error: unknown): void;
  cleanupFailed(what: string, error: unknown): void;
}

export interface StepRecord {
  id: string;
  kind: string;
  ms: number;
  ok: boolean;
}

type Handler = (step: Step, ctx: ExecContext) => Promise<void>;

/**
 * Runs exactly the plan's steps, in order, through the handler table. Cleanup registered with
 * `ctx.defer` runs on every path, including failure and interrupt; work registered with
 * `ctx.onFailure` only when a step failed (before the cleanups). Errors that are not already a
 * DeployerError are wrapped so the person sees which step failed.
 */
export async function execute(
  plan: Plan,
  table: HandlersFor<Step>,
  base: Omit<ExecContext, 'defer' | 'onFailure' | 'results'> & { results?: Results },
  observer?: StepObserver,
): Promise<StepRecord[]> {
  const cleanups: { what: string; fn: () => Promise<void> }[] = [];
  const onFailure: { what: string; fn: (error: unknown) => Promise<void> }[] = [];
  const ctx: ExecContext = {
    ...base,
    results: base.results ?? new Results(),
    defer: (what, fn) => cleanups.push({ what, fn }),
    onFailure: (what, fn) => onFailure.push({ what, fn }),
  };
  const records: StepRecord[] = [];
  try {
    for (const [i, step] of plan.steps.entries()) {
      if (ctx.signal.aborted) throw interruptedBy(ctx.signal);
      observer?.started(step, i, plan.steps.length);
      const t0 = performance.now();
      try {
        await (table[step.kind] as Handler)(step, ctx);
      } catch (e) {
        const ms = performance.now() - t0;
        records.push({ id: step.id, kind: step.kind, ms, ok: false });
        observer?.failed(step, ms, e);
        if (ctx.signal.aborted) throw interruptedBy(ctx.signal);
        if (e instanceof DeployerError) throw e;
        throw new StepFailedError(`step "${step.title}" failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const ms = performance.now() - t0;
      records.push({ id: step.id, kind: step.kind, ms, ok: true });
      observer?.finished(step, ms);
    }
    return records;
  } catch (e) {
    // `failed` hooks: while the lock is still held, in the order armed; theirs are warnings only.
    if (!ctx.signal.aborted) {
      for (const f of onFailure) {
        try {
          await f.fn(e);
        } catch (e2) {
          observer?.cleanupFailed(f.what, e2);
        }
      }
    }
    throw e;
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c.fn();
      } catch (e) {
        observer?.cleanupFailed(c.what, e);
      }
    }
  }
}
