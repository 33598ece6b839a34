// Starting the test container for exec over ssh (host key pinned), and reading a file out of it whole.
import { DeployerError, StepFailedError } from '../../core/errors.js';
import type { TestStep } from '../../core/steps/test.js';
import { firstTarEntry } from '../../core/test/tar.js';
import type { ExecContext } from '../context.js';
import { logTail, POLL_MS, readAll, V } from './test-run.js';

/**
 * The image runs its own command (sshd among it, as the seed's supervisord did). Waits until the
 * host key can be read through the Docker API and a login with it pinned succeeds.
 */
export async function startForSsh(
  ctx: ExecContext,
  step: Extract<TestStep, { kind: 'test.start-container' }>,
  ssh: NonNullable<Extract<TestStep, { kind: 'test.start-container' }>['ssh']>,
): Promise<void> {
  const { docker, clock, containerSsh } = ctx.ports;
  const id = await docker.createContainer({
    image: step.run.image,
    name: step.container,
    labels: step.run.labels,
    publish: [{ containerPort: ssh.port, hostIp: '127.0.0.1' }],
    ...(step.network ? { network: step.network } : {}),
  });
  ctx.vars.set(V.container, id);
  await docker.startContainer(id);
  const deadline = clock.now().getTime() + ssh.readyTimeoutSeconds * 1000;
  let last = '';
  for (;;) {
    const info = await docker.inspectContainer(id);
    if (!info?.running) {
      throw new StepFailedError(`the test container stopped (exit status ${info?.exitCode ?? 'unknown'}) before sshd accepted a login`, { details: await logTail(ctx, id), code: 'test.ssh' });
    }
    const hostPort = info.ports.find((p) => p.containerPort === ssh.port)?.hostPort;
    const tar = hostPort ? await docker.getArchive(id, ssh.hostKeyPath) : undefined;
    const entry = tar ? firstTarEntry(await readAll(tar, 64 * 1024, 'the host key file', 'test.ssh')) : undefined;
    if (hostPort && entry?.content) {
      const hostKey = new TextDecoder().decode(entry.content).trim().split('\n')[0]!;
      try {
        const shell = await containerSsh.open({ port: hostPort, hostKey, hostKeySource: `the test container's ${ssh.hostKeyPath}`, readyTimeoutMs: 5000, signal: ctx.signal });
        ctx.vars.set(V.shell, shell);
        ctx.defer(`close the ssh connection to ${shell.name}`, () => shell.close());
        ctx.ports.log.info(`logged in to the test container over ssh (${shell.name}, host key pinned)`);
        return;
      } catch (e) {
        // A missing or unusable client key will not get better by waiting.
        if (ctx.signal.aborted || (e instanceof DeployerError && e.code === 'ssh.identity')) throw e;
        last = e instanceof Error ? e.message : String(e);
      }
    } else {
      last = hostPort ? `${ssh.hostKeyPath} does not exist in the container (yet)` : `port ${ssh.port} is not published`;
    }
    if (clock.now().getTime() >= deadline) {
      throw new StepFailedError(`cannot log in to the test container over ssh within ${ssh.readyTimeoutSeconds}s`, {
        details: [last, ...(await logTail(ctx, id))],
        hint: 'check exec.ssh (port, user, keyFile, hostKeyPath) and that the image starts sshd',
        code: 'test.ssh',
      });
    }
    await clock.sleep(POLL_MS * 2, ctx.signal);
  }
}
