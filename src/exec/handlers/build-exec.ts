import { readCapped } from '../read-capped.js';
import { StepFailedError } from '../../core/errors.js';
import type { ContainerShell } from '../../ports/container-ssh.js';
import type { ExecResult } from '../../ports/docker.js';
import type { ExecContext } from '../context.js';
import { resultKey } from '../results.js';
import { waitForSshLogin } from './ssh-login.js';

// How a delta's commands (rm, the deps install) run inside the build container: through
// the Docker API's exec (argv, no shell) by default; with exec.via: ssh, over ssh to the
// container's sshd published on 127.0.0.1, accepting only the host key read from the container
// itself through the Docker API (never "accept any key").

export interface RunOptions {
  workingDir?: string;
  onLine?: (line: string) => void;
  /**
   * Run as root rather than the image's USER: for removing files that COPY wrote (always root-owned)
   * and the deps dir. Over ssh the login user (exec.ssh.user) is used either way.
   */
  asRoot?: boolean;
}

export type CommandRunner = (argv: string[], opts?: RunOptions) => Promise<ExecResult>;

const shellVar = (container: string) => resultKey<ContainerShell>(`build.shell:${container}`);
const POLL_MS = 250;

export function commandRunner(ctx: ExecContext, container: string): CommandRunner {
  const shell = ctx.results.get(shellVar(container));
  return (argv, opts = {}) => {
    const execOpts = {
      signal: ctx.signal,
      ...(opts.workingDir ? { workingDir: opts.workingDir } : {}),
      ...(opts.onLine ? { onLine: (l: string) => opts.onLine!(l) } : {}),
    };
    return shell ? shell.exec(argv, execOpts) : ctx.ports.docker.exec(container, argv, { ...execOpts, ...(opts.asRoot ? { user: '0' } : {}) });
  };
}

/** Waits until the container's sshd accepts a login with its own host key pinned. */
export async function loginOverSsh(ctx: ExecContext, container: string, ssh: { port: number; hostKeyPath: string; readyTimeoutSeconds: number }): Promise<void> {
  const shell = await waitForSshLogin(ctx, {
    container,
    ssh,
    hostKeySource: `build container ${container}:${ssh.hostKeyPath}`,
    pollMs: POLL_MS,
    readKey: async (tar, max) => (await readCapped(tar, max)).bytes,
    keyMissing: 'does not exist in the container',
    stopped: async (exitCode) => new StepFailedError(`build container ${container} stopped (exit status ${exitCode ?? 'unknown'}) before its sshd accepted a login`, {
      details: (await ctx.ports.docker.logs(container, 20)).trim().split('\n'),
      hint: 'check exec.ssh.sshd: it must start sshd in the foreground',
      code: 'build.ssh',
    }),
    timedOut: async (last) => new StepFailedError(`cannot log in to build container ${container} over ssh within ${ssh.readyTimeoutSeconds}s`, {
      details: [last],
      hint: 'check exec.ssh (port, user, keyFile, hostKeyPath, sshd) in deployer.yaml',
      code: 'build.ssh',
    }),
  });
  ctx.results.set(shellVar(container), shell);
  ctx.ports.log.info(`commands for ${container} go over ssh (${shell.name}, host key pinned from ${ssh.hostKeyPath})`);
}
