import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, Client, ConnectConfig, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { PreconditionError } from '../../core/errors.js';
import { sensitive, type Sensitive } from '../../core/sensitive.js';
import {
  checkHostKey,
  fingerprintSha256,
  knownKeyTypes,
  parseKnownHosts,
  parsePublicKeyLine,
  preferredHostKeyAlgorithms,
  type HostKeyCheck,
  type KnownHostEntry,
} from '../../core/ssh/known-hosts.js';
import { formatSshTarget } from '../../core/ssh/target.js';
import type { Log } from '../../ports/log.js';

// An ssh2 connection that behaves like ssh(1) with StrictHostKeyChecking=yes:
// - identity: the explicit identityFile only (like IdentitiesOnly), otherwise the agent
//   ($SSH_AUTH_SOCK) and then ~/.ssh/id_ed25519, id_ecdsa, id_rsa, in that order;
// - passphrase for encrypted keys: $DEPLOYER_SSH_PASSPHRASE (there is no prompt in a pipeline);
// - host key: checked against known_hosts (explicit files, or ~/.ssh/known_hosts and
//   /etc/ssh/ssh_known_hosts), or against one pinned public key. An unknown, changed or revoked key
//   is refused: there is no "accept any key" mode.
// Every failure becomes a PreconditionError (exit 4: nothing has been changed) that says what to do.

const { Client: SshClient, utils } = ssh2;

export const PASSPHRASE_ENV = 'DEPLOYER_SSH_PASSPHRASE';
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const SYSTEM_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';

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

interface Identity {
  label: string;
  method: AgentAuthMethod | PublicKeyAuthMethod;
}

type HostKeyPolicy =
  | { kind: 'known-hosts'; entries: KnownHostEntry[]; files: string[] }
  | { kind: 'pinned'; key: Buffer; keyType: string; source: string };

function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(path);
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parsePrivateKey(data: Buffer, passphrase: Sensitive<string> | undefined): ParsedKey | Error {
  const parsed = utils.parseKey(data, passphrase?.reveal());
  if (parsed instanceof Error) return parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return new Error('not a private key');
  return key;
}

function keyProblem(err: Error): 'needs-passphrase' | 'bad-passphrase' | 'invalid' {
  if (/no passphrase given/i.test(err.message)) return 'needs-passphrase';
  if (/bad passphrase|integrity check failed|decrypt/i.test(err.message)) return 'bad-passphrase';
  return 'invalid';
}

async function identities(
  opts: SshConnectOptions,
  user: string,
  home: string,
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  notes: string[],
): Promise<Identity[]> {
  const passphrase = opts.passphrase ?? (env[PASSPHRASE_ENV] ? sensitive(env[PASSPHRASE_ENV]!) : undefined);
  const fromFile = (path: string, data: Buffer): Identity | Error => {
    const key = parsePrivateKey(data, passphrase);
    if (key instanceof Error) return key;
    return {
      label: `key ${path} (${key.type} ${fingerprintSha256(key.getPublicSSH())})`,
      method: { type: 'publickey', username: user, key },
    };
  };

  if (opts.identityFile !== undefined) {
    const path = expandHome(opts.identityFile, home);
    const data = await readIfExists(path);
    if (!data) {
      throw new PreconditionError(`${name}: the SSH identity file ${path} does not exist`, {
        hint: 'fix identityFile in deployer.yaml, or remove it to use the agent and ~/.ssh/id_*',
        code: 'ssh.identity',
      });
    }
    const id = fromFile(path, data);
    if (!(id instanceof Error)) return [id];
    const problem = keyProblem(id);
    throw new PreconditionError(
      problem === 'needs-passphrase'
        ? `${name}: the SSH key ${path} is encrypted and no passphrase was given`
        : problem === 'bad-passphrase'
          ? `${name}: could not decrypt the SSH key ${path}: wrong passphrase`
          : `${name}: ${path} is not a usable private key (${id.message})`,
      {
        hint:
          problem === 'invalid'
            ? 'point identityFile at an OpenSSH or PEM private key (not the .pub file)'
            : `set ${PASSPHRASE_ENV} to the key's passphrase, or load the key into ssh-agent`,
        code: 'ssh.identity',
      },
    );
  }

  const found: Identity[] = [];
  const agent = env.SSH_AUTH_SOCK;
  if (agent) found.push({ label: `ssh-agent at ${agent}`, method: { type: 'agent', username: user, agent } });
  for (const file of DEFAULT_IDENTITIES) {
    const path = join(home, '.ssh', file);
    const data = await readIfExists(path);
    if (!data) continue;
    const id = fromFile(path, data);
    if (!(id instanceof Error)) {
      found.push(id);
      continue;
    }
    const problem = keyProblem(id);
    notes.push(
      problem === 'needs-passphrase'
        ? `skipped ${path}: encrypted, and ${PASSPHRASE_ENV} is not set`
        : problem === 'bad-passphrase'
          ? `skipped ${path}: ${PASSPHRASE_ENV} does not decrypt it`
          : `skipped ${path}: ${id.message}`,
    );
  }
  if (found.length === 0) {
    throw new PreconditionError(`${name}: no SSH identity to log in with`, {
      hint: 'start ssh-agent and ssh-add a key, create ~/.ssh/id_ed25519, or set identityFile in deployer.yaml',
      details: [`looked for $SSH_AUTH_SOCK and ${DEFAULT_IDENTITIES.map((f) => `~/.ssh/${f}`).join(', ')}`, ...notes],
      code: 'ssh.identity',
    });
  }
  return found;
}

async function hostKeyPolicy(opts: SshConnectOptions, home: string, name: string, log: Log | undefined): Promise<HostKeyPolicy> {
  if (opts.pinnedHostKey !== undefined) {
    const source = opts.pinnedHostKeySource ?? 'the pinned host key';
    try {
      const { key, keyType } = parsePublicKeyLine(opts.pinnedHostKey);
      return { kind: 'pinned', key, keyType, source };
    } catch (e) {
      throw new PreconditionError(`${name}: ${source} is not an SSH public key: ${(e as Error).message}`, {
        hint: 'it should be one line "<type> <base64 key> [comment]", like an ssh_host_*_key.pub file',
        code: 'ssh.host-key',
      });
    }
  }
  const explicit = opts.knownHostsFiles !== undefined;
  const files = explicit
    ? opts.knownHostsFiles!.map((f) => expandHome(f, home))
    : [join(home, '.ssh', 'known_hosts'), SYSTEM_KNOWN_HOSTS];
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    const data = await readIfExists(file);
    if (!data) {
      if (explicit) {
        throw new PreconditionError(`${name}: the known_hosts file ${file} does not exist`, {
          hint: 'fix knownHosts in deployer.yaml, or remove it to use ~/.ssh/known_hosts',
          code: 'ssh.known-hosts',
        });
      }
      continue;
    }
    const parsed = parseKnownHosts(data.toString('utf8'), file);
    entries.push(...parsed.entries);
    for (const note of parsed.notes) log?.debug(note);
  }
  return { kind: 'known-hosts', entries, files };
}

function checkAgainst(policy: HostKeyPolicy, host: string, port: number, key: Buffer): HostKeyCheck {
  if (policy.kind === 'known-hosts') return checkHostKey(policy.entries, host, port, key);
  const check = checkHostKey([], host, port, key);
  return policy.key.equals(key) ? { ...check, verdict: 'match' } : { ...check, verdict: 'mismatch', knownTypes: [policy.keyType] };
}

function hostKeyError(name: string, host: string, port: number, policy: HostKeyPolicy, check: HostKeyCheck): PreconditionError {
  const fp = `${check.keyType} ${check.fingerprint}`;
  if (policy.kind === 'pinned') {
    return new PreconditionError(`${name}: the SSH host key does not match ${policy.source}; refusing to connect`, {
      details: [`presented: ${fp}`, `expected:  ${policy.keyType} ${fingerprintSha256(policy.key)}`],
      hint: `is something else listening on port ${port}? Nothing was sent to it`,
      code: 'ssh.host-key-mismatch',
    });
  }
  const file = policy.files[0] ?? '~/.ssh/known_hosts';
  const keyscan = `ssh-keyscan -p ${port} ${host} >> ${file}`;
  const checked = `checked: ${policy.files.join(', ')}`;
  const at = (e: KnownHostEntry) => `${e.source}:${e.line}`;
  if (check.verdict === 'revoked') {
    return new PreconditionError(`${name}: the SSH host key ${check.fingerprint} is revoked (${at(check.entry!)}); refusing to connect`, {
      details: [`presented: ${fp}`],
      hint: 'the host needs a new host key; keep the @revoked line',
      code: 'ssh.host-key-revoked',
    });
  }
  if (check.verdict === 'mismatch') {
    return new PreconditionError(
      `${name}: the SSH host key has CHANGED since it was recorded; refusing to connect (someone may be intercepting the connection, or the host was reinstalled)`,
      {
        details: [`presented: ${fp}`, ...check.conflicting.map((e) => `recorded:  ${e.keyType} ${fingerprintSha256(e.key)} at ${at(e)}`), checked],
        hint: `if the change is expected, verify ${check.fingerprint} out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), remove the old entry with ssh-keygen -R '${check.lookup}' -f ${file}, then add the new one: ${keyscan}`,
        code: 'ssh.host-key-mismatch',
      },
    );
  }
  const other = check.knownTypes.length ? [`known for ${check.lookup}: only ${check.knownTypes.join(', ')} keys`] : [];
  const ca = check.ignoredCertAuthorities.map((e) => `${at(e)}: @cert-authority ignored (host certificates are not supported)`);
  return new PreconditionError(`${name}: the SSH host key of ${check.lookup} is not in known_hosts; refusing to connect`, {
    details: [`presented: ${fp}`, ...other, ...ca, checked],
    hint: `verify ${check.fingerprint} out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then add it: ${keyscan}`,
    code: 'ssh.host-key-unknown',
  });
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
  const ids = await identities(opts, user, home, env, name, notes);
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
    const onAbort = () => finish(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
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
