import type { Readable } from 'node:stream';
import { DeployerError, StepFailedError } from '../../core/errors.js';
import { firstTarEntry } from '../../core/test/tar.js';
import type { ContainerShell } from '../../ports/container-ssh.js';
import type { ExecContext } from '../context.js';

// exec.via: ssh for a build or test container: wait until its sshd accepts a login with the
// container's own host key pinned (read through the Docker API, never "accept any key").

/** The key file is one line; anything this large is not a host key. */
const HOST_KEY_MAX_BYTES = 64 * 1024;

export interface SshLoginTarget {
  /** Container id or name, as the Docker port takes it. */
  container: string;
  ssh: { port: number; hostKeyPath: string; readyTimeoutSeconds: number };
  /** For the host-key mismatch message: where the pinned key came from. */
  hostKeySource: string;
  pollMs: number;
  /** Reads the host key file out of its tar stream (each caller caps it its own way). */
  readKey(tar: Readable, max: number): Promise<Uint8Array>;
  /** "does not exist in the container" and what follows it, while the key file is missing. */
  keyMissing: string;
  /** The failure when the container stopped before a login succeeded. */
  stopped(exitCode: number | undefined): Promise<StepFailedError>;
  /** The failure when the deadline passed; `last` says what the last attempt met. */
  timedOut(last: string): Promise<StepFailedError>;
}

/** Resolves with the open shell; its close is deferred to the end of the run. */
export async function waitForSshLogin(ctx: ExecContext, t: SshLoginTarget): Promise<ContainerShell> {
  const { docker, clock, containerSsh } = ctx.ports;
  const { ssh } = t;
  const deadline = clock.now().getTime() + ssh.readyTimeoutSeconds * 1000;
  let last = '';
  for (;;) {
    const info = await docker.inspectContainer(t.container);
    if (!info?.running) throw await t.stopped(info?.exitCode);
    const hostPort = info.ports.find((p) => p.containerPort === ssh.port)?.hostPort;
    const tar = hostPort ? await docker.getArchive(t.container, ssh.hostKeyPath) : undefined;
    const entry = tar ? firstTarEntry(await t.readKey(tar, HOST_KEY_MAX_BYTES)) : undefined;
    if (hostPort && entry?.content) {
      const hostKey = new TextDecoder().decode(entry.content).trim().split('\n')[0]!;
      try {
        const shell = await containerSsh.open({ port: hostPort, hostKey, hostKeySource: t.hostKeySource, readyTimeoutMs: 5000, signal: ctx.signal });
        ctx.defer(`close the ssh connection to ${shell.name}`, () => shell.close());
        return shell;
      } catch (e) {
        // A missing or unusable client key will not get better by waiting.
        if (ctx.signal.aborted || (e instanceof DeployerError && e.code === 'ssh.identity')) throw e;
        last = e instanceof Error ? e.message : String(e);
      }
    } else {
      last = hostPort ? `${ssh.hostKeyPath} ${t.keyMissing}` : `port ${ssh.port} is not published`;
    }
    if (clock.now().getTime() >= deadline) throw await t.timedOut(last);
    await clock.sleep(t.pollMs, ctx.signal);
  }
}
