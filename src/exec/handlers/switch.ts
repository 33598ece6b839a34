import { DeployerError, LockHeldError, PreconditionError, StepFailedError } from '../../core/errors.js';
import { shortSha } from '../../core/image-ref.js';
import { renderPreview, previewHostname, type PreviewEntry } from '../../core/nginx/preview.js';
import { backendProblems } from '../../core/nginx/validate.js';
import { RELOAD_STABLE_MS, type PreviewUpdateStep, type SwitchStep, type VerifyProbe } from '../../core/steps/switch.js';
import { revisionMatches } from '../../core/switch/revision-header.js';
import { describeOwner, lockHeldError } from '../../core/switch/lock.js';
import type { LockOwner } from '../../ports/lock.js';
import type { ExecContext } from '../context.js';
import { resultKey } from '../results.js';
import { applyFiles, restoreAll, restoreSummary, type Previous } from './switch-apply.js';
import type { HandlersFor } from './types.js';

const previousKey = (stepId: string) => resultKey<Previous[]>(`${stepId}:previous`);
const HOSTS_CLOSE_DEFERRED = resultKey<true>('lb:close-deferred');

/** SSH connections must end with the command, or they keep the process alive. */
function closeHostsAtEnd(ctx: ExecContext): void {
  if (ctx.results.get(HOSTS_CLOSE_DEFERRED)) return;
  ctx.results.set(HOSTS_CLOSE_DEFERRED, true);
  ctx.defer('close connections to the switch hosts', () => ctx.ports.lb.closeAll());
}

interface ProbeResult {
  ok: boolean;
  last: string;
}

/** How long answers must stay right before a host counts as switched (after a reload). */
const STABLE_MS = RELOAD_STABLE_MS;

/**
 * GETs the URL (a fresh connection each time) until the answer is right and stays right for
 * STABLE_MS, or the deadline passes. After `nginx -s reload` returns, the master is still starting
 * new workers and, for about 100 ms more, old workers keep accepting connections: one right answer
 * proves little, a second of them proves the old configuration is gone.
 */
async function probeUntil(
  ctx: ExecContext,
  p: { url: string; header: string; timeoutMs: number; hostHeader?: string; stableMs?: number },
  revision: string,
  accept: (status: number, value: string | string[] | undefined) => boolean = (status, value) => status >= 200 && status < 400 && revisionMatches(value, revision),
): Promise<ProbeResult> {
  const now = () => ctx.ports.clock.now().getTime();
  const deadline = now() + p.timeoutMs;
  let last = 'no answer yet';
  let streakSince: number | undefined;
  for (;;) {
    const remaining = deadline - now();
    if (remaining <= 0) return { ok: streakSince !== undefined, last };
    try {
      const r = await ctx.ports.http.get(p.url, {
        timeoutMs: Math.max(200, Math.min(5000, remaining)),
        signal: ctx.signal,
        ...(p.hostHeader ? { headers: { Host: p.hostHeader } } : {}),
      });
      const value = r.headers[p.header.toLowerCase()];
      last = `${r.status}, ${p.header}: ${value === undefined ? '(missing)' : String(value)}`;
      if (accept(r.status, value)) {
        streakSince ??= now();
        if (now() - streakSince >= (p.stableMs ?? STABLE_MS)) return { ok: true, last };
      } else {
        streakSince = undefined;
      }
    } catch (e) {
      if (ctx.signal.aborted) return { ok: false, last: 'interrupted' };
      streakSince = undefined;
      last = e instanceof Error ? e.message : String(e);
    }
    await ctx.ports.clock.sleep(Math.min(100, Math.max(0, deadline - now())), ctx.signal).catch(() => {});
    if (ctx.signal.aborted) return { ok: false, last: 'interrupted' };
  }
}

async function probeAll(ctx: ExecContext, probes: readonly (VerifyProbe & { hostHeader?: string })[], revision: string, stableMs?: number) {
  const results = await Promise.all(probes.map(async (p) => ({ probe: p, ...(await probeUntil(ctx, { ...p, ...(stableMs !== undefined ? { stableMs } : {}) }, revision)) })));
  return { ok: results.every((r) => r.ok), results };
}

async function acquireOrExplain(ctx: ExecContext, req: { who: string; revision: string; command: string }, waitMs: number): Promise<LockOwner> {
  const deadline = ctx.ports.clock.now().getTime() + waitMs;
  for (let attempt = 0; ; attempt++) {
    const r = await ctx.ports.lock.acquire(req);
    if (r.acquired) return r.owner;
    // A dead holder never lets go: say so at once instead of waiting.
    if (r.state.holder === 'dead' || ctx.ports.clock.now().getTime() >= deadline || ctx.signal.aborted) throw lockHeldError(ctx.ports.lock.location, r.state);
    // Once as a line (a Jenkins log must say why the run stalls), then as progress.
    const waiting = `waiting for the switch lock (${r.state.owner ? describeOwner(r.state.owner) : 'being taken'}), up to ${Math.round(waitMs / 1000)}s`;
    if (attempt === 0) ctx.ports.log.info(waiting);
    else ctx.ports.log.progress(waiting);
    await ctx.ports.clock.sleep(500, ctx.signal).catch(() => {});
  }
}

export const switchHandlers: HandlersFor<SwitchStep> = {
  async 'switch.lock'(step, ctx) {
    closeHostsAtEnd(ctx);
    const owner = await acquireOrExplain(ctx, { who: step.who, revision: step.revision, command: step.command }, 0);
    ctx.defer(`release the switch lock ${step.host}:${step.path}`, () => ctx.ports.lock.release(owner));
  },

  async 'nginx.switch-upstream'(step, ctx) {
    closeHostsAtEnd(ctx);
    const { previous } = await applyFiles(
      ctx.ports.lb,
      step.changes.map((c) => ({ ...c, expectSha256: c.beforeSha256 })),
      { what: `switch to ${shortSha(step.revision)}`, log: ctx.ports.log, signal: ctx.signal },
    );
    ctx.results.set(previousKey(step.id), previous);
  },

  async 'switch.verify'(step, ctx) {
    const previous = ctx.results.get(previousKey(step.switchStep));
    if (!previous) throw new Error(`verify: step ${step.switchStep} left no previous files`);
    const { ok, results } = await probeAll(ctx, step.probes, step.revision, step.stableMs);
    if (ok) return;
    const failures = results.filter((r) => !r.ok).map((r) => `${r.probe.host}: ${r.probe.url} last answered ${r.last}`);
    if (step.repair) {
      // The files named this revision before the run: there is nothing of this run's to undo.
      throw new StepFailedError(`verification failed: ${shortSha(step.revision)} was not served within the deadline after nginx was reloaded; the upstream files still name it (as before this run) and nothing was recorded`, {
        code: 'switch.verify-failed',
        details: failures,
        hint: `check the environment and switch.verify; \`deployer switch ${step.previous ? shortSha(step.previous) : '<rev>'}\` goes back to what the history says is live`,
      });
    }
    ctx.ports.log.warn(`verification of ${shortSha(step.revision)} failed; switching back`);
    const restored = await restoreAll(ctx.ports.lb, previous, ctx.ports.log);
    const back: string[] = [];
    if (step.previous) {
      // Checked even when an interrupt stopped the verification: cleanup is not over until the
      // previous revision is served again (a second Ctrl-C still ends the run at once).
      const again = await probeAll({ ...ctx, signal: new AbortController().signal }, step.probes, step.previous);
      back.push(again.ok ? `${shortSha(step.previous)} is served again through every host` : `WARNING: ${shortSha(step.previous)} is not served again: ${again.results.filter((r) => !r.ok).map((r) => `${r.probe.host}: ${r.last}`).join('; ')}`);
    }
    const recorded: string[] = [];
    if (step.previous) {
      try {
        await ctx.ports.history.append({ at: ctx.ports.clock.now().toISOString(), action: 'auto-revert', from: step.revision, to: step.previous, ...step.revert });
        recorded.push('the switch back is recorded in the history (auto-revert)');
      } catch (e) {
        recorded.push(`could not record the switch back: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const switchedBack = restored.notRestored.length || restored.notReloaded.length ? restoreSummary(restored) : 'switched back';
    throw new StepFailedError(`verification failed: ${shortSha(step.revision)} was not served within the deadline; ${switchedBack}`, {
      code: 'switch.verify-failed',
      details: [...failures, ...restored.lines, ...back, ...recorded],
      hint: 'check the environment and the verify URL/header (switch.verify), then switch again',
    });
  },

  async 'switch.record'(step, ctx) {
    try {
      await ctx.ports.history.append({ at: ctx.ports.clock.now().toISOString(), ...step.entry });
    } catch (e) {
      throw new StepFailedError(`${shortSha(step.entry.to)} is live and verified, but recording it in ${step.host}:${step.path} failed`, {
        code: 'history.write',
        cause: e,
        hint: 'the switch itself succeeded; `deployer rollback` needs the history, so fix the state directory',
      });
    }
  },

  async 'switch.release-lock'(step, ctx) {
    closeHostsAtEnd(ctx);
    const r = await ctx.ports.lock.breakLock(step.owner);
    if (r === 'changed') {
      throw new LockHeldError(`the switch lock ${step.host}:${step.path} changed hands since it was inspected; not released`, {
        hint: 'run `deployer lock release` again to see who holds it now',
      });
    }
    if (r === 'absent') ctx.ports.log.info(`the switch lock ${step.host}:${step.path} was already gone`);
  },

  async 'nginx.update-preview'(step, ctx) {
    closeHostsAtEnd(ctx);
    const owner = await acquireOrExplain(ctx, { who: step.lock.who, revision: step.add[0] ?? step.remove[0] ?? 'preview', command: 'preview' }, 120_000);
    try {
      await updatePreview(step, ctx);
    } catch (e) {
      // The environment stays deployed (healthy, running): say so, and how to finish or undo.
      if (e instanceof DeployerError && step.add.length) {
        e.details.push(...step.add.map((r) => `environment ${shortSha(r)} is deployed and running, but ${previewHostname(step.domain, r)} has no preview entry: fix the cause, then \`deployer deploy ${shortSha(r)}\` writes it (or \`deployer destroy ${shortSha(r)}\` removes the environment)`));
      }
      throw e;
    } finally {
      await ctx.ports.lock.release(owner);
    }
  },
};

/** Rewrites the preview file from the scheduler's view, then verifies added and removed hostnames. */
async function updatePreview(step: PreviewUpdateStep, ctx: ExecContext): Promise<void> {
  const envs = await ctx.ports.scheduler.list(step.app);
  const entries: PreviewEntry[] = [];
  for (const env of envs) {
    if (step.remove.includes(env.revision) || env.backends.length === 0) continue;
    const problems = backendProblems(env.backends);
    if (problems.length === 0) {
      entries.push({ revision: env.revision, backends: env.backends });
    } else if (step.add.includes(env.revision)) {
      throw new PreconditionError(`environment ${shortSha(env.revision)} reports backends that cannot go into an nginx file`, { code: 'backend.invalid', details: problems });
    } else {
      ctx.ports.log.warn(`preview: leaving out environment ${shortSha(env.revision)}: ${problems.join('; ')}`);
    }
  }
  const missing = step.add.filter((r) => !entries.some((e) => e.revision === r));
  if (missing.length) {
    throw new StepFailedError(`preview: no healthy backends for ${missing.map(shortSha).join(', ')}`, { code: 'preview.no-backends' });
  }
  const text = renderPreview({ app: step.app, domain: step.domain, listen: step.listen }, entries);
  const items = [];
  for (const h of step.hosts) {
    const current = await ctx.ports.lb.get(h.host).read(h.path);
    if (current?.content.toString('utf8') !== text) items.push({ ...h, after: text });
  }
  if (items.length === 0) return;
  const { previous } = await applyFiles(ctx.ports.lb, items, { what: 'preview update', log: ctx.ports.log, signal: ctx.signal });
  // Added hostnames must serve their revision; removed ones must answer 404 (not production).
  const probes = [...step.add.map((rev) => ({ rev, gone: false })), ...step.remove.map((rev) => ({ rev, gone: true }))].flatMap(({ rev, gone }) =>
    step.hosts.filter((h) => h.verifyUrl).map((h) => ({
      host: h.host, url: h.verifyUrl!, header: step.header, timeoutMs: step.verifyTimeoutMs, hostHeader: previewHostname(step.domain, rev), rev, gone,
    })));
  const results = await Promise.all(probes.map(async (p) => ({ p, ...(await probeUntil(ctx, p, p.rev, p.gone ? (status) => status === 404 : undefined)) })));
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    const restored = await restoreAll(ctx.ports.lb, previous, ctx.ports.log);
    throw new StepFailedError(`preview hostnames did not serve their environments; ${restoreSummary(restored).replace('files were', 'preview file was')}`, {
      code: 'preview.verify-failed',
      details: [...failed.map((r) => `${r.p.host}: GET ${r.p.url} with Host ${r.p.hostHeader} should ${r.p.gone ? 'answer 404' : `answer 2xx/3xx with header ${r.p.header} naming ${shortSha(r.p.rev)}`}; last answered ${r.last}`), ...restored.lines],
      hint: 'previews are verified on the path of switch.verify.url (set preview.verifyPath to use another one, e.g. /version)',
    });
  }
}
