// Starting the test container for exec over ssh (host key pinned), and reading a file out of it whole.
import { StepFailedError } from '../../core/errors.js';
import type { TestStep } from '../../core/steps/test.js';
import type { ExecContext } from '../context.js';
import { waitForSshLogin } from './ssh-login.js';
import { logTail, POLL_MS, readAll, TEST_VARS } from './test-run.js';

/**
 * The image runs its own command (sshd among it, as the old scripts' supervisord did: docs/traps.md §6). Waits until the
 * host key can be read through the Docker API and a login with it pinned succeeds.
 */
export async function startForSsh(
  ctx: ExecContext,
  step: Extract<TestStep, { kind: 'test.start-container' }>,
  ssh: NonNullable<Extract<TestStep, { kind: 'test.start-container' }>['ssh']>,
): Promise<void> {
  const { docker } = ctx.ports;
  const id = await docker.createContainer({
    image: step.run.image,
    name: step.container,
    labels: step.run.labels,
    publish: [{ containerPort: ssh.port, hostIp: '127.0.0.1' }],
    ...(step.network ? { network: step.network } : {}),
  });
  ctx.results.set(TEST_VARS.container, id);
  await docker.startContainer(id);
  const shell = await waitForSshLogin(ctx, {
    container: id,
    ssh,
    hostKeySource: `the test container's ${ssh.hostKeyPath}`,
    pollMs: POLL_MS * 2,
    readKey: (tar, max) => readAll(tar, max, 'the host key file', 'test.ssh'),
    keyMissing: 'does not exist in the container (yet)',
    stopped: async (exitCode) => new StepFailedError(`the test container stopped (exit status ${exitCode ?? 'unknown'}) before sshd accepted a login`, { details: await logTail(ctx, id), code: 'test.ssh' }),
    timedOut: async (last) => new StepFailedError(`cannot log in to the test container over ssh within ${ssh.readyTimeoutSeconds}s`, {
      details: [last, ...(await logTail(ctx, id))],
      hint: 'check exec.ssh (port, user, keyFile, hostKeyPath) and that the image starts sshd',
      code: 'test.ssh',
    }),
  });
  ctx.results.set(TEST_VARS.shell, shell);
  ctx.ports.log.info(`logged in to the test container over ssh (${shell.name}, host key pinned)`);
}
