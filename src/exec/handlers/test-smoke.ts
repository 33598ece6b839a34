// The smoke checks of a test-image run: the image runs its own command and answers HTTP checks.
import type { TestStep } from '../../core/steps/test.js';
import { describeCheck, judge } from '../../core/test/smoke.js';
import type { ExecContext } from '../context.js';
import { logTail, POLL_MS, seconds, type TestState } from './test-run.js';

export async function runSmoke(ctx: ExecContext, step: Extract<TestStep, { kind: 'test.smoke' }>, s: TestState): Promise<void> {
  const { docker, clock, http, log } = ctx.ports;
  const image = step.run.image;
  const id = await docker.createContainer({
    image,
    name: step.container,
    env: step.env,
    labels: step.run.labels,
    publish: [{ containerPort: step.port, hostIp: '127.0.0.1' }],
    ...(step.network ? { network: step.network } : {}),
  });
  await docker.startContainer(id);
  const failAll = (message: string, detail: string) => {
    for (const check of step.checks) s.smoke.push({ check, seconds: 0, verdict: { ok: false, message, detail } });
    log.warn(`smoke: ${message}`);
  };
  try {
    const info = await docker.inspectContainer(id);
    const hostPort = info?.ports.find((p) => p.containerPort === step.port)?.hostPort;
    if (!info?.running || !hostPort) {
      failAll(`the app stopped at once (exit status ${info?.exitCode ?? 'unknown'})`, (await logTail(ctx, id)).join('\n'));
      return;
    }
    const base = `http://127.0.0.1:${hostPort}`;
    const deadline = clock.now().getTime() + step.startTimeoutSeconds * 1000;
    let lastError = '';
    // Up means: it answers HTTP at all (a status is judged by the checks, not here).
    for (;;) {
      try {
        await http.get(`${base}${step.checks[0]!.path}`, { timeoutMs: 2000, signal: ctx.signal });
        break;
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        lastError = e instanceof Error ? e.message : String(e);
      }
      const now = await docker.inspectContainer(id);
      if (!now?.running) {
        failAll(`the app exited with status ${now?.exitCode ?? 'unknown'} before answering on port ${step.port}`, (await logTail(ctx, id)).join('\n'));
        return;
      }
      if (clock.now().getTime() >= deadline) {
        failAll(`the app did not answer HTTP on port ${step.port} within ${step.startTimeoutSeconds}s (${lastError})`, [lastError, ...(await logTail(ctx, id))].join('\n'));
        return;
      }
      await clock.sleep(POLL_MS, ctx.signal);
    }
    for (const check of step.checks) {
      const t0 = clock.now().getTime();
      const answer = await http.get(`${base}${check.path}`, { timeoutMs: 10_000, signal: ctx.signal }).catch((e: unknown) => {
        if (ctx.signal.aborted) throw e;
        return { error: e instanceof Error ? e.message : String(e) };
      });
      const verdict = judge(check, answer);
      s.smoke.push({ check, seconds: seconds(ctx, t0), verdict });
      if (verdict.ok) log.info(`smoke ok: ${describeCheck(check)}`);
      else log.warn(`smoke failed: ${describeCheck(check)}: ${verdict.message}`);
    }
  } finally {
    await docker.removeContainer(id);
  }
}
