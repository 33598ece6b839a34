import { StepFailedError } from '../../core/errors.js';
import { hookLabel, substitute } from '../../core/hooks/plan.js';
import type { HookCommand, HookStep } from '../../core/steps/hooks.js';
import type { ExecContext } from '../context.js';
import { resultKey, type Results } from '../results.js';
import type { HandlersFor } from './types.js';

/** Messages of post- hooks that failed (the command then exits 1; what it did stands). */
export const HOOK_FAILURES = resultKey<string[]>('hooks.failures');

/** Runs one hook, its output streamed line by line under its name; undefined when it succeeded. */
async function runHook(c: HookCommand, ctx: ExecContext, extra: Record<string, string> = {}): Promise<string | undefined> {
  const env = { DEPLOYER_ERROR: '', ...extra };
  const r = await ctx.ports.hooks.run({
    argv: c.argv.map((a) => substitute(a, env)),
    env: { ...c.env, ...extra },
    timeoutMs: c.timeoutMs,
    signal: ctx.signal,
    onLine: (line) => ctx.ports.log.output(line, c.name),
  });
  if (r.ok) return undefined;
  const why = r.startError ? `could not be started (${r.startError})`
    : r.timedOut ? `timed out after ${c.timeoutMs / 1000}s and was killed`
    : r.exitCode !== undefined ? `exited with ${r.exitCode}` : `was killed by ${r.signal ?? 'a signal'}`;
  return `${hookLabel(c)} ${why}`;
}

export function hookFailures(results: Results): string[] {
  return results.get(HOOK_FAILURES) ?? [];
}

export const hookHandlers: HandlersFor<HookStep> = {
  async 'hook.run'(step, ctx) {
    const problem = await runHook(step, ctx);
    if (!problem) return;
    if (ctx.signal.aborted) throw new Error(problem);
    if (step.onFailure === 'abort') {
      throw new StepFailedError(`${problem}; nothing was changed`, { code: 'hook.failed', hint: `its output is above, prefixed "${step.name} |"; fix the hook or the cause, then run the command again` });
    }
    ctx.ports.log.warn(`${problem} (what the command did stands)`);
    ctx.results.set(HOOK_FAILURES, [...hookFailures(ctx.results), problem]);
  },
  async 'hook.on-failure'(step, ctx) {
    ctx.onFailure(hookLabel(step), async (e) => {
      const problem = await runHook(step, ctx, { DEPLOYER_ERROR: e instanceof Error ? e.message : String(e) });
      if (problem) ctx.ports.log.warn(problem);
    });
  },
};
