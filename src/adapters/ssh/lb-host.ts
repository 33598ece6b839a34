import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ClientChannel, SFTPWrapper, Stats } from 'ssh2';
import { isDeployerError, StepFailedError } from '../../core/errors.js';
import { quoteArgv } from '../../core/ssh/quote.js';
import { formatSshTarget } from '../../core/ssh/target.js';
import type { LbHost, RunResult } from '../../ports/lb.js';
import { requestOverStream } from '../lb/control-http.js';
import { lbFileOps, type FsSession } from '../lb/files.js';
import { ChannelLostError, ChannelTimeoutError, runOnChannel } from './channel.js';
import { connectSsh, type SshConnection, type SshConnectOptions } from './connect.js';

// A load-balancer host over SSH: files through SFTP, commands through exec with every argument
// quoted. One connection (and one SFTP session) per host, opened on first use and reused for the
// run; constructing the host does no I/O.
//
// SFTP traps (docs/traps.md §3): sftp.rename onto an existing file fails on OpenSSH, so
// replacement uses posix-rename@openssh.com; OpenSSH reports "already exists" from mkdir as the
// generic code 4 (SFTPv3 has no EEXIST), so mkdirExclusive stats the path to tell.

const SFTP_NO_SUCH_FILE = 2;
const SFTP_FAILURE = 4;
// What ssh2 answers a request whose connection or channel went away underneath it.
const CONNECTION_LOST = /^(No response from server|Not connected)$/;

interface SftpError extends Error {
  code?: number;
}

export interface SshLbHostOptions extends SshConnectOptions {
  /** For people; default `user@host:port`. */
  name?: string;
}

type Cb<T> = (err: Error | undefined | null, value: T) => void;

function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

const callVoid = (fn: (cb: (err?: Error | null) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

export function sshLbHost(opts: SshLbHostOptions): LbHost {
  const name = opts.name ?? formatSshTarget({ user: opts.user, host: opts.host, port: opts.port ?? 22 });
  let conn: Promise<SshConnection> | undefined;
  let sftpSession: Promise<SFTPWrapper> | undefined;
  // The settled values of the two promises above, so a lost session is forgotten synchronously.
  let connNow: SshConnection | undefined;
  let sftpNow: SFTPWrapper | undefined;
  const ownerOf = new WeakMap<SFTPWrapper, SshConnection>();

  // A dropped connection (or SFTP session) is reopened by the next call, not reused. The guards
  // keep a late 'close' of an old connection from forgetting a newer one.
  const connection = (): Promise<SshConnection> => {
    if (conn) return conn;
    const opening: Promise<SshConnection> = connectSsh(opts).then(
      (c) => {
        c.client.setMaxListeners(64);
        c.client.on('error', (e) => opts.log?.debug(`${name}: ssh connection error: ${e.message}`));
        c.client.once('close', () => {
          if (conn !== opening) return;
          conn = undefined;
          connNow = undefined;
          sftpSession = undefined;
          sftpNow = undefined;
        });
        if (conn === opening) connNow = c;
        return c;
      },
      (e) => {
        if (conn === opening) conn = undefined;
        throw e;
      },
    );
    conn = opening;
    return opening;
  };

  const sftp = (): Promise<SFTPWrapper> => {
    if (sftpSession) return sftpSession;
    const opening: Promise<SFTPWrapper> = connection()
      .then(async (c) => {
        const s = await call<SFTPWrapper>((cb) => c.client.sftp(cb));
        ownerOf.set(s, c);
        c.client.once('close', () => lostSessions.add(s));
        return s;
      })
      .then(
        (s) => {
          s.once('close', () => {
            lostSessions.add(s);
            if (sftpSession !== opening) return;
            sftpSession = undefined;
            sftpNow = undefined;
          });
          if (sftpSession === opening) sftpNow = s;
          return s;
        },
        (e) => {
          if (sftpSession === opening) sftpSession = undefined;
          throw e;
        },
      );
    sftpSession = opening;
    return opening;
  };

  // A session that met a dropped connection is forgotten at once, so the next call reconnects even
  // when ssh2 fails the pending request before it reports the close. Reads and whole-file
  // replacements are safe to repeat, so those reconnect once themselves: an SSH connection left idle
  // through a long health wait may have been cut by a firewall in between.
  const lostSessions = new WeakSet<SFTPWrapper>();
  const withSftp = async <T>(repeatable: boolean, fn: (s: SFTPWrapper) => Promise<T>): Promise<T> => {
    const s = await sftp();
    try {
      return await fn(s);
    } catch (e) {
      if (!lostSessions.has(s) && !CONNECTION_LOST.test((e as Error)?.message ?? '')) throw e;
      forget(s);
      if (!repeatable) throw e;
      opts.log?.debug(`${name}: the SSH session dropped (${(e as Error).message}); reconnecting once`);
      return fn(await sftp());
    }
  };
  const forget = (s: SFTPWrapper) => {
    lostSessions.add(s);
    if (sftpNow === s) {
      sftpSession = undefined;
      sftpNow = undefined;
    }
    const c = ownerOf.get(s);
    if (c) forgetConnection(c);
  };
  const forgetConnection = (c: SshConnection) => {
    if (connNow !== c) return;
    conn = undefined;
    connNow = undefined;
    sftpSession = undefined;
    sftpNow = undefined;
    void Promise.resolve(c.end()).catch(() => {});
  };

  const fail = (action: string, e: unknown): Error => {
    if (isDeployerError(e)) return e; // connect failures are already explained
    const reason = (e as Error)?.message ?? String(e);
    return new StepFailedError(`${name}: ${action} failed: ${reason}`, { cause: e, code: 'ssh.sftp' });
  };

  const statOrUndefined = async (s: SFTPWrapper, path: string, link = false): Promise<Stats | undefined> => {
    try {
      return await call<Stats>((cb) => (link ? s.lstat(path, cb) : s.stat(path, cb)));
    } catch (e) {
      if ((e as SftpError).code === SFTP_NO_SUCH_FILE) return undefined;
      throw e;
    }
  };

  // One SFTP session's primitives for the shared file operations (../lb/files.ts).
  const session = (s: SFTPWrapper): FsSession => ({
    stat: (path, link) => statOrUndefined(s, path, link),
    readFile: (path) => call<Buffer>((cb) => s.readFile(path, cb)),
    async open(path, mode) {
      const handle = await call<Buffer>((cb) => s.open(path, 'w', { mode }, cb));
      return {
        write: async (content) => {
          if (content.length > 0) await callVoid((cb) => s.write(handle, content, 0, content.length, 0, cb));
        },
        owner: () => call<Stats>((cb) => s.fstat(handle, cb)),
        chown: (uid, gid) => callVoid((cb) => s.fchown(handle, uid, gid, cb)),
        chmod: (m) => callVoid((cb) => s.fchmod(handle, m, cb)),
        sync: async () => {
          if ('fsync@openssh.com' in extensionsOf(s)) await call((cb) => s.ext_openssh_fsync(handle, cb));
        },
        close: () => callVoid((cb) => s.close(handle, cb)).catch(() => {}),
      };
    },
    async replace(from, to) {
      if (!('posix-rename@openssh.com' in extensionsOf(s))) {
        throw new Error('the SFTP server does not offer posix-rename@openssh.com, so a file cannot be replaced atomically');
      }
      await callVoid((cb) => s.ext_openssh_rename(from, to, cb));
    },
    unlink: (path) => callVoid((cb) => s.unlink(path, cb)),
    rmdir: (path) => callVoid((cb) => s.rmdir(path, cb)),
    async mkdirExclusive(path) {
      try {
        await callVoid((cb) => s.mkdir(path, { mode: 0o755 }, cb));
        return true;
      } catch (e) {
        if ((e as SftpError).code !== SFTP_FAILURE) throw e;
        if (await statOrUndefined(s, path, true)) return false;
        throw e;
      }
    },
    async mkdirp(path) {
      const parts = posix.resolve('/', path).split('/').filter(Boolean);
      let current = '';
      for (const part of parts) {
        current += `/${part}`;
        const st = await statOrUndefined(s, current);
        if (st?.isDirectory()) continue;
        if (st) throw new Error(`${current} exists and is not a directory`);
        try {
          await callVoid((cb) => s.mkdir(current, { mode: 0o755 }, cb));
        } catch (e) {
          // Created by someone else in the meantime is fine.
          if (!(await statOrUndefined(s, current))?.isDirectory()) throw e;
        }
      }
    },
    discard: (path) => callVoid((cb) => s.unlink(path, cb)).catch(() => {}),
  });

  const host: LbHost = {
    name,

    ...lbFileOps({
      withSession: (repeatable, fn) => withSftp(repeatable, (s) => fn(session(s))),
      fail,
      chownReason: (e) => (e as Error).message,
      chownAdvice: 'log in as root or as the owner',
    }),

    async run(argv, runOpts = {}): Promise<RunResult> {
      const command = quoteArgv(argv);
      let c: SshConnection | undefined;
      try {
        c = await connection();
        const r = await runOnChannel(c.client, command, {
          ...(runOpts.timeoutMs !== undefined ? { timeoutMs: runOpts.timeoutMs } : {}),
          ...(runOpts.signal ? { signal: runOpts.signal } : {}),
        });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        if (c && (e instanceof ChannelLostError || CONNECTION_LOST.test((e as Error)?.message ?? ''))) forgetConnection(c);
        if (runOpts.signal?.aborted) throw runOpts.signal.reason;
        if (e instanceof ChannelTimeoutError) {
          throw new StepFailedError(`${name}: \`${command}\` timed out after ${e.timeoutMs} ms (killed)`, { cause: e, code: 'ssh.timeout' });
        }
        if (e instanceof ChannelLostError) throw new StepFailedError(`${name}: \`${command}\`: ${e.message}`, { cause: e, code: 'ssh.lost' });
        throw fail(`\`${command}\``, e);
      }
    },

    async control(socket, req) {
      let c: SshConnection | undefined;
      try {
        const open = (c = await connection());
        // direct-streamlocal@openssh.com: sshd connects to the socket on its side (AllowStreamLocalForwarding, on by default).
        const stream = await call<Duplex>((cb) => open.client.openssh_forwardOutStreamLocal(socket, cb as Cb<ClientChannel>));
        return await requestOverStream(stream, req);
      } catch (e) {
        if (c && CONNECTION_LOST.test((e as Error)?.message ?? '')) forgetConnection(c);
        throw fail(`control request to ${socket}`, e);
      }
    },

    async close() {
      const pending = conn;
      conn = undefined;
      connNow = undefined;
      sftpSession = undefined;
      sftpNow = undefined;
      if (!pending) return;
      const c = await pending.catch(() => undefined);
      await c?.end();
    },
  };
  return host;
}

function extensionsOf(s: SFTPWrapper): Record<string, unknown> {
  return (s as unknown as { _extensions?: Record<string, unknown> })._extensions ?? {};
}
