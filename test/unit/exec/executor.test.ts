import { describe, expect, it } from 'vitest';
import { InterruptedError, PreconditionError, StepFailedError } from '../../../src/core/errors.js';
import { makePlan } from '../../../src/core/plan.js';
import type { Step } from '../../../src/core/steps/index.js';
import type { ExecContext } from '../../../src/exec/context.js';
import { execute } from '../../../src/exec/executor.js';
import type { HandlersFor } from '../../../src/exec/handlers/types.js';

// The executor is generic over the handler table; these tests drive it with a table of their own.
type FakeKind = 'fake.ok' | 'fake.fail' | 'fake.hang';
// A union of one type per kind, as real step unions are, so the handler table narrows per kind.
type FakeStep = { [K in FakeKind]: { id: string; kind: K; title: string; cleanup?: string; armed?: string } }[FakeKind];

function run(steps: FakeStep[], opts: { signal?: AbortSignal; failWith?: unknown } = {}) {
  const log: string[] = [];
  const table: HandlersFor<FakeStep> = {
    async 'fake.ok'(step, ctx) {
      log.push(`run ${step.id}`);
      if (step.cleanup) ctx.defer(step.cleanup, async () => { log.push(`cleanup ${step.cleanup}`); });
      if (step.armed) ctx.onFailure(step.armed, async (e) => { log.push(`on failure ${step.armed}: ${(e as Error).message}`); });
    },
    async 'fake.fail'(step) {
      log.push(`run ${step.id}`);
      throw opts.failWith ?? new Error('boom');
    },
    async 'fake.hang'(step, ctx) {
      log.push(`run ${step.id}`);
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    },
  };
  const plan = makePlan('test', 'test', {}, steps as unknown as Step[]);
  const base = { config: {} as ExecContext['config'], ports: {} as ExecContext['ports'], signal: opts.signal ?? new AbortController().signal };
  return { log, done: execute(plan, table as unknown as HandlersFor<Step>, base) };
}

describe('execute', () => {
  it('runs every step in order and cleans up last-in first-out', async () => {
    const { log, done } = run([
      { id: 'a', kind: 'fake.ok', title: 'a', cleanup: 'A' },
      { id: 'b', kind: 'fake.ok', title: 'b', cleanup: 'B' },
    ]);
    expect((await done).map((r) => r.ok)).toEqual([true, true]);
    expect(log).toEqual(['run a', 'run b', 'cleanup B', 'cleanup A']);
  });

  it('stops at a failing step, still cleans up, and names the step', async () => {
    const { log, done } = run([
      { id: 'a', kind: 'fake.ok', title: 'make container', cleanup: 'remove container' },
      { id: 'b', kind: 'fake.fail', title: 'commit image' },
      { id: 'c', kind: 'fake.ok', title: 'push' },
    ]);
    await expect(done).rejects.toThrow(StepFailedError);
    await expect(done).rejects.toThrow(/step "commit image" failed: boom/);
    expect(log).toEqual(['run a', 'run b', 'cleanup remove container']);
  });

  it('passes deployer errors through with their exit code', async () => {
    const { done } = run([{ id: 'x', kind: 'fake.fail', title: 'x' }], { failWith: new PreconditionError('unhealthy') });
    await expect(done).rejects.toMatchObject({ exitCode: 4, message: 'unhealthy' });
  });

  it('turns an interrupt into exit 130 after cleanup', async () => {
    const ac = new AbortController();
    const { log, done } = run([
      { id: 'a', kind: 'fake.ok', title: 'a', cleanup: 'A' },
      { id: 'h', kind: 'fake.hang', title: 'hang' },
      { id: 'z', kind: 'fake.ok', title: 'never' },
    ], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('SIGINT')), 20);
    await expect(done).rejects.toBeInstanceOf(InterruptedError);
    expect(log).toEqual(['run a', 'run h', 'cleanup A']);
  });

  it('runs onFailure work only when a step fails, before the cleanups (the `failed` hooks)', async () => {
    const ok = run([{ id: 'a', kind: 'fake.ok', title: 'a', cleanup: 'A', armed: 'alarm' }]);
    await ok.done;
    expect(ok.log).toEqual(['run a', 'cleanup A']);
    const bad = run([{ id: 'a', kind: 'fake.ok', title: 'a', cleanup: 'A', armed: 'alarm' }, { id: 'b', kind: 'fake.fail', title: 'b' }]);
    await expect(bad.done).rejects.toThrow(StepFailedError);
    expect(bad.log).toEqual(['run a', 'run b', 'on failure alarm: step "b" failed: boom', 'cleanup A']);
    const ac = new AbortController();
    const stopped = run([{ id: 'a', kind: 'fake.ok', title: 'a', armed: 'alarm' }, { id: 'h', kind: 'fake.hang', title: 'hang' }], { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('SIGINT')), 20);
    await expect(stopped.done).rejects.toBeInstanceOf(InterruptedError);
    expect(stopped.log).toEqual(['run a', 'run h']);
  });

  it('refuses a plan with duplicate step ids', () => {
    expect(() => makePlan('x', 'x', {}, [{ id: 'a' }, { id: 'a' }] as unknown as Step[])).toThrow(/duplicate step id a/);
  });
});
