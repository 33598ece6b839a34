import { homedir, userInfo } from 'node:os';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig } from 'ssh2';
import { PreconditionError } from '../../core/errors.js';
import type { Sensitive } from '../../core/sensitive.js';
import { knownKeyTypes, preferredHostKeyAlgorithms, type HostKeyCheck } from '../../core/ssh/known-hosts.js';
import { formatSshTarget } from '../../core/ssh/target.js';
import type { Log } from '../../ports/log.js';
import { checkAgainst, hostKeyError, hostKeyPolicy } from './host-keys.js';
import { identities } from './identities.js';

// An ssh2 connection that behaves like ssh(1) with strict host key checking:
// - identity: the explicit identityFile only (like IdentitiesOnly), otherwise the agent
//   ($SSH_AUTH_SOCK) and then ~/.ssh/id_ed25519, id_ecdsa, id_rsa, in that order;
// - passphrase for encrypted keys: $DEPLOYER_SSH_PASSPHRASE (there is no prompt in a pipeline);
// - host key: checked against known_hosts (explicit files, or ~/.ssh/known_hosts and
//   /etc/ssh/ssh_known_hosts), or against one pinned public key. An unknown, changed or revoked key
//   is refused: there is no "accept any key" mode.
// Every failure becomes a PreconditionError (exit 4: nothing has been changed) that says what to do.

const { Client: SshClient } = ssh2;

export { PASSPHRASE_ENV } from './identities.js';

export interface SshConnectOptions {
  host: string;
  port?: number;
  /** Default: the local user name, as ssh(1). */
  user?: string;
  /** Explicit private key (`~/` allowed); only this key is offered. */
  identityFile?: string;
  /** Explicit known_hosts files (each must exist); default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. */
  knownHostsFiles?: readonly string[];
  /** A public key line (`ssh-ed25519 AAAA...`): the only host key accepted; known_hosts is not read. */
  pinnedHostKey?: string;
  /** Where the pinned key came from, for messages ("the container's /etc/ssh/ssh_host_ed25519_key.pub"). */
  pinnedHostKeySource?: string;
  /** Default: $DEPLOYER_SSH_PASSPHRASE. */
  passphrase?: Sensitive<string>;
  /** HOME, SSH_AUTH_SOCK and DEPLOYER_SSH_PASSPHRASE are read from here (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Handshake and authentication deadline (default 20000 ms, ssh2's default). */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  signal?: AbortSignal;
  log?: Log;
}

export interface SshConnection {
  client: Client;
  /** `user@host:port`, for messages. */
  name: string;
  /** True once the connection is gone (ended, dropped, or failed after the handshake). */
  closed(): boolean;
  /** Ends the connection and waits until its socket is closed. */
  end(): Promise<void>;
}

interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

function connectError(name: string, e: Ssh2Error, tried: string[], notes: string[], timeoutMs: number): PreconditionError {
  if (e.level === 'client-authentication') {
    return new PreconditionError(`${name}: SSH authentication failed (the server refused every key offered)`, {
      details: [...tried.map((t) => `offered: ${t}`), ...notes],
      hint: "add the public key to the user's ~/.ssh/authorized_keys on the host, or set identityFile / load the right key into ssh-agent",
      cause: e,
      code: 'ssh.auth',
    });
  }
  if (e.level === 'client-timeout' || e.code === 'ETIMEDOUT') {
    return new PreconditionError(`${name}: SSH connection timed out after ${timeoutMs} ms (no handshake)`, {
      hint: 'check the host and port, that sshd runs there and that no firewall drops the connection',
      cause: e,
      code: 'ssh.timeout',
    });
  }
  const unreachable: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing listens on that port)',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve (DNS lookup failed)',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    ECONNRESET: 'the connection was reset',
  };
  const why = (e.code && unreachable[e.code]) ?? e.message;
  return new PreconditionError(`${name}: cannot connect over SSH: ${why}`, {
    hint: 'check the host and port in deployer.yaml and that sshd runs there',
    cause: e,
    code: 'ssh.unreachable',
  });
}

/** Opens a verified, authenticated connection (PreconditionError otherwise). The caller ends it. */
export async function connectSsh(opts: SshConnectOptions): Promise<SshConnection> {
  const env = opts.env ?? process.env;
  const home = env.HOME || homedir();
  const port = opts.port ?? 22;
  const user = opts.user ?? userInfo().username;
  const name = formatSshTarget({ user, host: opts.host, port });
  const notes: string[] = [];
  const policy = await hostKeyPolicy(opts, home, name, opts.log);
  const ids = await identities({ identityFile: opts.identityFile, passphrase: opts.passphrase, user, home, env, name, notes });
  for (const note of notes) opts.log?.debug(`${name}: ${note}`);
  const readyTimeout = opts.readyTimeoutMs ?? 20_000;

  const knownTypes = policy.kind === 'pinned' ? [policy.keyType] : knownKeyTypes(policy.entries, opts.host, port);
  const serverHostKey = preferredHostKeyAlgorithms(knownTypes);
  let hostCheck: HostKeyCheck | undefined;
  const config: ConnectConfig = {
    host: opts.host,
    port,
    username: user,
    readyTimeout,
    keepaliveInterval: opts.keepaliveIntervalMs ?? 15_000,
    authHandler: ids.map((i) => i.method),
    hostVerifier: (key: Buffer) => {
      hostCheck = checkAgainst(policy, opts.host, port, key);
      return hostCheck.verdict === 'match';
    },
    ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
  };

  const client = new SshClient();
  let isClosed = false;
  const closedPromise = new Promise<void>((r) => client.once('close', () => { isClosed = true; r(); }));
  const connection: SshConnection = {
    client,
    name,
    closed: () => isClosed,
    end() {
      if (!isClosed) client.end();
      return closedPromise;
    },
  };
  return new Promise<SshConnection>((resolvePromise, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        client.removeAllListeners('ready');
        client.on('error', () => {}); // late errors of a dead attempt
        client.destroy();
        reject(err);
      } else {
        resolvePromise(connection);
      }
    };
    const onAbort = () => finish(opts.signal?.reason);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    client.on('ready', () => finish());
    client.on('error', (e: Ssh2Error) => {
      // An agent that cannot be reached is skipped (ssh2 moves on to the next method), as ssh(1) does.
      if (e.level === 'agent') {
        notes.push(`ssh-agent at ${env.SSH_AUTH_SOCK}: ${e.message}`);
        opts.log?.debug(`${name}: ssh-agent unusable: ${e.message}`);
        return;
      }
      if (hostCheck && hostCheck.verdict !== 'match') return finish(hostKeyError(name, opts.host, port, policy, hostCheck));
      finish(connectError(name, e, ids.map((i) => i.label), notes, readyTimeout));
    });
    client.on('close', () => {
      if (hostCheck && hostCheck.verdict !== 'match') return finish(hostKeyError(name, opts.host, port, policy, hostCheck));
      finish(new PreconditionError(`${name}: the SSH server closed the connection during the handshake`, { code: 'ssh.unreachable' }));
    });
    try {
      client.connect(config);
    } catch (e) {
      finish(connectError(name, e as Ssh2Error, [], notes, readyTimeout));
    }
  });
}
