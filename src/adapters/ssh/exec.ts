import { StepFailedError, UsageError } from '../../core/errors.js';
import { remoteCommand } from '../../core/ssh/quote.js';
import type { ExecOptions, ExecResult } from '../../ports/docker.js';
import { ChannelLostError, runOnChannel } from './channel.js';
import { connectSsh, type SshConnectOptions, type SshConnection } from './connect.js';

// `exec.via: ssh`: commands for a build or test container whose image runs sshd (the old scripts'
// did, docs/traps.md §6). The connection goes to the container's port published on 127.0.0.1 and
// accepts only the host key read from the container through the Docker API (pinned): never "accept
// any key". sshd drops the env of an exec request (AcceptEnv), so variables and the working
// directory travel in the quoted command string. Same result shape as DockerPort.exec.

export interface SshExecOptions extends Pick<SshConnectOptions, 'pinnedHostKeySource' | 'passphrase' | 'env' | 'readyTimeoutMs' | 'signal' | 'log'> {
  /** The published host port of the container's sshd. */
  port: number;
  /** Loopback only (default 127.0.0.1). */
  host?: string;
  user: string;
  /** Private key; without one, the agent and ~/.ssh/id_* are offered, as ssh(1) would. */
  keyFile?: string;
  /** The container's host public key line (`ssh-ed25519 AAAA...`), read through the Docker API. */
  pinnedHostKey: string;
}

export interface SshExec {
  readonly name: string;
  /** Runs argv; resolves with the exit code (never rejects on non-zero), like DockerPort.exec. */
  exec(cmd: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
}

export async function openSshExec(opts: SshExecOptions): Promise<SshExec> {
  const conn: SshConnection = await connectSsh({
    host: opts.host ?? '127.0.0.1',
    port: opts.port,
    user: opts.user,
    ...(opts.keyFile !== undefined ? { identityFile: opts.keyFile } : {}),
    pinnedHostKey: opts.pinnedHostKey,
    pinnedHostKeySource: opts.pinnedHostKeySource ?? "the container's host key",
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  conn.client.on('error', (e) => opts.log?.debug(`${conn.name}: ssh connection error: ${e.message}`));
  return {
    name: conn.name,
    async exec(cmd, execOpts = {}) {
      if (execOpts.user !== undefined && execOpts.user !== opts.user) {
        throw new UsageError(`exec.via ssh logs in as ${opts.user} and cannot run a command as ${execOpts.user}`, {
          hint: 'set exec.ssh.user, or use exec.via: docker',
        });
      }
      const command = remoteCommand(cmd, {
        ...(execOpts.env ? { env: execOpts.env } : {}),
        ...(execOpts.workingDir ? { cwd: execOpts.workingDir } : {}),
      });
      try {
        const r = await runOnChannel(conn.client, command, {
          ...(execOpts.onLine ? { onLine: execOpts.onLine } : {}),
          ...(execOpts.signal ? { signal: execOpts.signal } : {}),
        });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        if (execOpts.signal?.aborted) throw e;
        const why = e instanceof ChannelLostError ? e.message : `could not run it: ${(e as Error).message}`;
        throw new StepFailedError(`${conn.name}: \`${cmd.join(' ').slice(0, 80)}\`: ${why}`, { cause: e, code: 'ssh.exec' });
      }
    },
    close: () => conn.end(),
  };
}
