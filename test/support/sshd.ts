// A real OpenSSH sshd on a free loopback port with a fresh host key and client key pair.
//
// Machine notes: sshd must be started by absolute path (it re-execs itself), needs the privilege
// separation directory /run/sshd (missing on a fresh container; created here), and its
// per-connection children call setsid(), so stopping only the listener would leave sessions
// behind (process.ts kills the recorded tree).
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { AddrInUseError, LOOPBACK, retryOnAddrInUse } from './ports.js';
import { spawnService, waitUntilReady, type ServiceProcess } from './process.js';
import { tmpDir } from './tmp.js';

export const SSHD_BIN = '/usr/sbin/sshd';
const PRIVSEP_DIR = '/run/sshd';

export interface SshdOptions {
  /** Extra authorized_keys lines, in addition to the generated client key. */
  authorizedKeys?: string[];
  /** Encrypt the generated client private key with this passphrase (ssh-keygen -N). */
  clientKeyPassphrase?: string;
  /**
   * Default true: `SetEnv SHLVL=1`, so the shell sshd runs for a command sees itself at level 2
   * and skips ~/.bashrc. Debian's bash sources ~/.bashrc for every command run by sshd, and root's
   * ~/.bashrc on this machine runs `pyenv init` (~3-4 s per exec under load). HOME and the working
   * directory stay the account's. Not added when extraConfig has its own SetEnv line (sshd uses
   * only the first SetEnv line).
   */
  skipBashrc?: boolean;
  /** Extra sshd_config lines appended at the end. */
  extraConfig?: string;
}

export interface Sshd {
  host: '127.0.0.1';
  port: number;
  /** "ssh-ed25519 AAAA..." (no comment). */
  hostKeyPub: string;
  /** The host key in SSH wire format, as ssh2's hostVerifier receives it. */
  hostKey: Buffer;
  /** "[127.0.0.1]:<port> ssh-ed25519 AAAA..." */
  knownHostsLine: string;
  /** A known_hosts file containing knownHostsLine. */
  knownHostsPath: string;
  /** Pinned verifier for ssh2: true only for exactly this server's host key. */
  hostVerifier(key: Buffer): boolean;
  clientKeyPath: string;
  /** "ssh-ed25519 AAAA... deployer-test-client" */
  clientPubKey: string;
  clientKeyPassphrase?: string;
  /** The login user: root (PermitRootLogin prohibit-password); the current user when not run as root. */
  user: string;
  dir: string;
  configPath: string;
  authorizedKeysPath: string;
  logPath: string;
  pid: number;
  process: ServiceProcess;
  /** Adds a line to authorized_keys (read by sshd on every login). */
  authorize(pubKeyLine: string): Promise<void>;
  /** TERM the listener and every session it spawned (KILL after 5 s), remove the temp dir. */
  close(): Promise<void>;
}

async function keygen(path: string, comment: string, passphrase = ''): Promise<void> {
  // -a 2: few bcrypt KDF rounds for passphrase keys (default 16). ssh2 decrypts in pure JS, which
  // took ~1.4 s per parse at 16 rounds on a loaded 2-core machine; the format is the same.
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '2', '-N', passphrase, '-C', comment, '-f', path]);
}

function bannerArrives(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: LOOPBACK, port });
    let buf = '';
    const timer = setTimeout(() => finish(new Error('no SSH banner in time')), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(true);
    };
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) {
        if (buf.startsWith('SSH-2.0-')) finish();
        else finish(new Error(`unexpected banner: ${JSON.stringify(buf.slice(0, 80))}`));
      }
    });
    sock.on('error', (e) => finish(e));
    sock.on('close', () => finish(new Error(`connection closed before banner (got ${JSON.stringify(buf)})`)));
  });
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  mkdirSync(PRIVSEP_DIR, { recursive: true, mode: 0o755 });
  const tmp = await tmpDir('deployer-sshd-');
  const dir = tmp.path;
  try {
    const hostKeyPath = join(dir, 'ssh_host_ed25519_key');
    const clientKeyPath = join(dir, 'client_ed25519');
    const authorizedKeysPath = join(dir, 'authorized_keys');
    const configPath = join(dir, 'sshd_config');
    const logPath = join(dir, 'sshd.log');
    const knownHostsPath = join(dir, 'known_hosts');
    const skipBashrc = (opts.skipBashrc ?? true) && !/^\s*SetEnv\b/im.test(opts.extraConfig ?? '');
    await keygen(hostKeyPath, 'deployer-test-host');
    await keygen(clientKeyPath, 'deployer-test-client', opts.clientKeyPassphrase ?? '');
    const [hostType, hostB64] = (await readFile(`${hostKeyPath}.pub`, 'utf8')).trim().split(/\s+/);
    const hostKeyPub = `${hostType} ${hostB64}`;
    const hostKey = Buffer.from(hostB64!, 'base64');
    const clientPubKey = (await readFile(`${clientKeyPath}.pub`, 'utf8')).trim();
    await writeFile(authorizedKeysPath, [clientPubKey, ...(opts.authorizedKeys ?? [])].map((l) => `${l.trim()}\n`).join(''), {
      mode: 0o600,
    });

    const { port, proc } = await retryOnAddrInUse(async ([port]) => {
      const config = [
        `Port ${port}`,
        `ListenAddress ${LOOPBACK}`,
        `HostKey ${hostKeyPath}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeysPath}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'StrictModes no',
        'UsePAM no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
        ...(skipBashrc ? ['SetEnv SHLVL=1'] : []),
        opts.extraConfig ?? '',
      ].join('\n');
      await writeFile(configPath, `${config}\n`);
      const proc = await spawnService(SSHD_BIN, ['-D', '-e', '-f', configPath], {
        name: `sshd :${port}`,
        logPath,
        cwd: dir,
      });
      await waitUntilReady(proc, () => bannerArrives(port!), {
        what: `sshd on ${LOOPBACK}:${port} to send its SSH-2.0 banner`,
        onExit: (log) =>
          /Address already in use|Cannot bind any address/i.test(log) ? new AddrInUseError(port!, 'sshd could not bind') : undefined,
      });
      return { port: port!, proc };
    });

    const knownHostsLine = `[${LOOPBACK}]:${port} ${hostKeyPub}`;
    await writeFile(knownHostsPath, `${knownHostsLine}\n`);
    let closing: Promise<void> | undefined;
    return {
      host: LOOPBACK,
      port,
      hostKeyPub,
      hostKey,
      knownHostsLine,
      knownHostsPath,
      hostVerifier: (key: Buffer) => Buffer.isBuffer(key) && key.equals(hostKey),
      clientKeyPath,
      clientPubKey,
      ...(opts.clientKeyPassphrase !== undefined ? { clientKeyPassphrase: opts.clientKeyPassphrase } : {}),
      user: userInfo().username,
      dir,
      configPath,
      authorizedKeysPath,
      logPath,
      pid: proc.pid,
      process: proc,
      async authorize(line: string) {
        const current = await readFile(authorizedKeysPath, 'utf8');
        await writeFile(authorizedKeysPath, `${current}${line.trim()}\n`);
      },
      close() {
        closing ??= proc.stop({ signal: 'SIGTERM', graceMs: 5000 }).finally(() => tmp.cleanup());
        return closing;
      },
    };
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
}
