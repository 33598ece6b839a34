// The sidecars of a test-image run: starting one on the private network and waiting until it is ready.
import { StepFailedError } from '../../core/errors.js';
import type { ServiceSpec, TestRun } from '../../core/steps/test.js';
import { listensOn } from '../../core/test/listening.js';
import type { ExecContext } from '../context.js';
import { logTail, POLL_MS } from './test-run.js';

export async function startService(ctx: ExecContext, run: TestRun, network: string, svc: ServiceSpec): Promise<string> {
  const id = await ctx.ports.docker.createContainer({
    image: svc.image,
    name: svc.container,
    env: svc.env,
    labels: run.labels,
    network,
    networkAliases: [svc.name],
    ...(svc.command ? { cmd: svc.command } : {}),
  });
  await ctx.ports.docker.startContainer(id);
  return id;
}

export async function waitReady(ctx: ExecContext, id: string, svc: ServiceSpec, timeoutSeconds: number): Promise<void> {
  const { docker, clock } = ctx.ports;
  const deadline = clock.now().getTime() + timeoutSeconds * 1000;
  const what = svc.ready ? ('tcp' in svc.ready ? `listening on TCP port ${svc.ready.tcp}` : `\`${svc.ready.display}\` succeeding`) : 'running';
  let last = '';
  for (;;) {
    const info = await docker.inspectContainer(id);
    if (!info?.running) {
      throw new StepFailedError(`sidecar ${svc.name} (${svc.image}) stopped before it was ready (exit status ${info?.exitCode ?? 'unknown'})`, {
        details: await logTail(ctx, id),
        hint: 'check the sidecar\'s image, command and env in test.services',
        code: 'test.sidecar',
      });
    }
    if (!svc.ready) return;
    if ('tcp' in svc.ready) {
      const r = await docker.exec(id, ['cat', '/proc/net/tcp', '/proc/net/tcp6']);
      if (/OCI runtime exec failed/.test(r.stdout)) {
        throw new StepFailedError(`cannot check sidecar ${svc.name} for a listening port: the image has no \`cat\` to read /proc/net/tcp`, {
          hint: `use ready: { command: [...] } for ${svc.name} in test.services`,
          code: 'test.sidecar',
        });
      }
      if (listensOn(r.stdout, svc.ready.tcp)) return;
      last = `nothing listens on port ${svc.ready.tcp} yet`;
    } else {
      const r = await docker.exec(id, svc.ready.command);
      if (r.exitCode === 0) return;
      last = `\`${svc.ready.display}\` exited with status ${r.exitCode}${r.stdout || r.stderr ? `: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' / ')}` : ''}`;
    }
    if (clock.now().getTime() >= deadline) {
      throw new StepFailedError(`sidecar ${svc.name} (${svc.image}) was not ready within ${timeoutSeconds}s (waiting for it to be ${what})`, {
        details: [last, ...(await logTail(ctx, id))],
        hint: 'check its readiness check in test.services, or give the suite more time (test.timeoutSeconds)',
        code: 'test.sidecar',
      });
    }
    await clock.sleep(POLL_MS, ctx.signal);
  }
}
