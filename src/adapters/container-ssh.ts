import { DeployerError, PreconditionError } from '../core/errors.js';
import type { ContainerSshPort } from '../ports/container-ssh.js';
import type { Log } from '../ports/log.js';
import { openSshExec } from './ssh/exec.js';

/** Construction does no I/O; each open() is one SSH connection. */
export function containerSsh(opts: { user: string; keyFile: string | undefined; env: Readonly<Record<string, string | undefined>>; log?: Log }): ContainerSshPort {
  return {
    async open(t) {
      try {
        return await openSshExec({
          port: t.port,
          user: opts.user,
          // Without a keyFile the connection offers the agent and ~/.ssh keys, as ssh(1) would.
          keyFile: opts.keyFile as string,
          pinnedHostKey: t.hostKey,
          pinnedHostKeySource: t.hostKeySource,
          env: opts.env,
          ...(opts.log ? { log: opts.log } : {}),
          ...(t.readyTimeoutMs !== undefined ? { readyTimeoutMs: t.readyTimeoutMs } : {}),
          ...(t.signal ? { signal: t.signal } : {}),
        });
      } catch (e) {
        // The connection code speaks of a switch host's identityFile; here the key is exec.ssh.keyFile.
        if (e instanceof DeployerError && e.code === 'ssh.identity') {
          throw new PreconditionError(e.message, {
            hint: 'set exec.ssh.keyFile in deployer.yaml to a private key the image accepts (or load one into ssh-agent)',
            details: e.details,
            cause: e,
            code: 'ssh.identity',
          });
        }
        throw e;
      }
    },
  };
}
