// connectSsh against a real OpenSSH sshd: known_hosts (plain, hashed, default location), refusals of
// unknown/changed/revoked host keys, the agent, encrypted keys, and readable transport failures.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, type SshConnectOptions } from '../../src/adapters/ssh/connect.js';
import { runOnChannel } from '../../src/adapters/ssh/channel.js';
import { PreconditionError } from '../../src/core/errors.js';
import { freePort, LOOPBACK } from '../support/ports.js';
import { spawnService, waitUntilReady } from '../support/process.js';
import { SKIP_BASHRC } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

let sshd: Sshd;
let tmp: TmpDir;
let n = 0;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  sshd = await startSshd({ extraConfig: SKIP_BASHRC });
  cleanups.push(() => sshd.close());
  tmp = await tmpDir('deployer-ssh-connect-');
  cleanups.push(() => tmp.cleanup());
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** A fresh, empty HOME (with ~/.ssh) per test: nothing from the real one leaks in. */
async function home(): Promise<string> {
  const dir = join(tmp.path, `home${++n}`);
  await mkdir(join(dir, '.ssh'), { recursive: true, mode: 0o700 });
  return dir;
}

async function keygen(path: string, passphrase = ''): Promise<string> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/** Connects, runs `echo ok`, disconnects; returns the output. */
async function whoami(opts: Partial<SshConnectOptions> & { env: Record<string, string | undefined> }): Promise<string> {
  const conn = await connectSsh({ host: sshd.host, port: sshd.port, user: sshd.user, readyTimeoutMs: 10_000, ...opts });
  try {
    return (await runOnChannel(conn.client, 'echo "ok $(id -un)"')).stdout.trim();
  } finally {
    await conn.end();
  }
}

async function refusal(p: Promise<unknown>): Promise<PreconditionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PreconditionError);
  return err as PreconditionError;
}

const accepted = async () => ((await readFile(sshd.logPath, 'utf8')).match(/Accepted publickey/g) ?? []).length;
const fingerprint = async () => (await execa('ssh-keygen', ['-lf', join(sshd.dir, 'ssh_host_ed25519_key.pub'), '-E', 'sha256'])).stdout.split(' ')[1]!;

describe('host key verification', () => {
  it('accepts the key recorded in an explicit plain known_hosts file', async () => {
    expect(await whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [sshd.knownHostsPath] })).toBe(`ok ${sshd.user}`);
  });

  it('uses ~/.ssh/known_hosts and ~/.ssh/id_ed25519 by default (HOME-relative)', async () => {
    const h = await home();
    await writeFile(join(h, '.ssh', 'known_hosts'), `# mine\n${sshd.knownHostsLine}\n`);
    await copyFile(sshd.clientKeyPath, join(h, '.ssh', 'id_ed25519'));
    expect(await whoami({ env: { HOME: h } })).toBe(`ok ${sshd.user}`);
  });

  it('accepts a hashed entry made by ssh-keygen -H', async () => {
    const file = join(await home(), 'hashed');
    await writeFile(file, `other.example.com ${sshd.hostKeyPub}\n${sshd.knownHostsLine}\n`);
    await execa('ssh-keygen', ['-q', '-H', '-f', file]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('127.0.0.1');
    expect(text.match(/^\|1\|/gm)).toHaveLength(2);
    expect(await whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [file] })).toBe(`ok ${sshd.user}`);
  });

  it('refuses an unknown host before authenticating, and its hint (ssh-keyscan) fixes it', async () => {
    const file = join(await home(), 'known_hosts');
    // The right key, but recorded for port 22: a different port is a different host.
    await writeFile(file, `127.0.0.1 ${sshd.hostKeyPub}\n`);
    const before = await accepted();
    const err = await refusal(whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [file] }));
    expect(err.exitCode).toBe(4);
    expect(err.code).toBe('ssh.host-key-unknown');
    expect(err.message).toContain(`[127.0.0.1]:${sshd.port} is not in known_hosts; refusing to connect`);
    expect(err.details).toContain(`presented: ssh-ed25519 ${await fingerprint()}`);
    const command = `ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${file}`;
    expect(err.hint).toContain(await fingerprint());
    expect(err.hint).toContain(command);
    expect(await accepted()).toBe(before);

    await execa('sh', ['-c', command]);
    expect(await whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [file] })).toBe(`ok ${sshd.user}`);
  });

  it('refuses a changed key, naming both fingerprints and the line that recorded the old one', async () => {
    const h = await home();
    const otherPub = await keygen(join(h, 'other'));
    const file = join(h, 'known_hosts');
    await writeFile(file, `# header\n[127.0.0.1]:${sshd.port} ${otherPub}\n`);
    const before = await accepted();
    const err = await refusal(whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [file] }));
    expect(err.code).toBe('ssh.host-key-mismatch');
    expect(err.message).toMatch(/host key has CHANGED/);
    expect(err.details.join('\n')).toContain(`at ${file}:2`);
    expect(err.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${file}`);
    expect(await accepted()).toBe(before);
  });

  it('refuses a revoked key even when another line accepts it', async () => {
    const file = join(await home(), 'known_hosts');
    await writeFile(file, `${sshd.knownHostsLine}\n@revoked * ${sshd.hostKeyPub}\n`);
    const err = await refusal(whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [file] }));
    expect(err.code).toBe('ssh.host-key-revoked');
    expect(err.message).toContain(`${file}:2`);
  });

  it('refuses when no known_hosts file knows anything (no default file at all)', async () => {
    const h = await home();
    await copyFile(sshd.clientKeyPath, join(h, '.ssh', 'id_ed25519'));
    const err = await refusal(whoami({ env: { HOME: h } }));
    expect(err.code).toBe('ssh.host-key-unknown');
    expect(err.hint).toContain(`>> ${join(h, '.ssh', 'known_hosts')}`);
  });

  it('a missing explicit known_hosts file is an error, not an empty list', async () => {
    const err = await refusal(whoami({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: ['/nonexistent/known_hosts'] }));
    expect(err.code).toBe('ssh.known-hosts');
  });

  it('a pinned key replaces known_hosts; another pinned key is refused', async () => {
    expect(await whoami({ env: {}, identityFile: sshd.clientKeyPath, pinnedHostKey: `${sshd.hostKeyPub} root@container\n` })).toBe(`ok ${sshd.user}`);
    const otherPub = await keygen(join(await home(), 'other'));
    const err = await refusal(
      whoami({ env: {}, identityFile: sshd.clientKeyPath, pinnedHostKey: otherPub, pinnedHostKeySource: "the container's /etc/ssh/ssh_host_ed25519_key.pub" }),
    );
    expect(err.code).toBe('ssh.host-key-mismatch');
    expect(err.message).toContain("does not match the container's /etc/ssh/ssh_host_ed25519_key.pub");
  });
});

describe('authentication', () => {
  it('logs in with a key held by ssh-agent (SSH_AUTH_SOCK), with no key files at all', async () => {
    const h = await home();
    const sock = join(h, 'agent.sock');
    const agent = await spawnService('/usr/bin/ssh-agent', ['-D', '-a', sock], { name: 'ssh-agent', logPath: join(h, 'agent.log') });
    cleanups.push(() => agent.stop());
    await waitUntilReady(agent, () => existsSync(sock), { what: 'ssh-agent socket' });
    await execa('ssh-add', [sshd.clientKeyPath], { env: { SSH_AUTH_SOCK: sock } });
    await writeFile(join(h, '.ssh', 'known_hosts'), `${sshd.knownHostsLine}\n`);
    expect(await whoami({ env: { HOME: h, SSH_AUTH_SOCK: sock } })).toBe(`ok ${sshd.user}`);
    await agent.stop();
  });

  it('moves on to ~/.ssh/id_ed25519 when the agent socket is dead', async () => {
    const h = await home();
    await writeFile(join(h, '.ssh', 'known_hosts'), `${sshd.knownHostsLine}\n`);
    await copyFile(sshd.clientKeyPath, join(h, '.ssh', 'id_ed25519'));
    expect(await whoami({ env: { HOME: h, SSH_AUTH_SOCK: join(h, 'no-such.sock') } })).toBe(`ok ${sshd.user}`);
  });

  describe('an encrypted key', () => {
    const secret = 'tr0ub4dor & "3" $x';
    let keyPath: string;
    beforeAll(async () => {
      keyPath = join(await home(), 'enc');
      await sshd.authorize(await keygen(keyPath, secret));
    });
    const noLeak = (e: PreconditionError) => expect(JSON.stringify([e.message, e.details, e.hint, String(e.cause ?? '')])).not.toContain('tr0ub4dor');

    it('is decrypted with DEPLOYER_SSH_PASSPHRASE', async () => {
      expect(await whoami({ env: { DEPLOYER_SSH_PASSPHRASE: secret }, identityFile: keyPath, knownHostsFiles: [sshd.knownHostsPath] })).toBe(
        `ok ${sshd.user}`,
      );
    });

    it('without the passphrase: a clear refusal that names the variable', async () => {
      const err = await refusal(whoami({ env: {}, identityFile: keyPath, knownHostsFiles: [sshd.knownHostsPath] }));
      expect(err.code).toBe('ssh.identity');
      expect(err.message).toContain(`the SSH key ${keyPath} is encrypted and no passphrase was given`);
      expect(err.hint).toContain('DEPLOYER_SSH_PASSPHRASE');
    });

    it('with a wrong passphrase: "wrong passphrase", and no passphrase in the error', async () => {
      const err = await refusal(whoami({ env: { DEPLOYER_SSH_PASSPHRASE: 'tr0ub4dor-nope' }, identityFile: keyPath, knownHostsFiles: [sshd.knownHostsPath] }));
      expect(err.message).toContain('wrong passphrase');
      noLeak(err);
    });

    it('as a default key without the passphrase: skipped, and the skip is explained', async () => {
      const h = await home();
      await copyFile(keyPath, join(h, '.ssh', 'id_ed25519'));
      await writeFile(join(h, '.ssh', 'known_hosts'), `${sshd.knownHostsLine}\n`);
      const err = await refusal(whoami({ env: { HOME: h } }));
      expect(err.code).toBe('ssh.identity');
      expect(err.details.join('\n')).toContain(`skipped ${join(h, '.ssh', 'id_ed25519')}: encrypted, and DEPLOYER_SSH_PASSPHRASE is not set`);
      expect(await whoami({ env: { HOME: h, DEPLOYER_SSH_PASSPHRASE: secret } })).toBe(`ok ${sshd.user}`);
    });
  });

  it('a key the server does not know: authentication failed, naming the key offered', async () => {
    const h = await home();
    await keygen(join(h, 'stranger'));
    const err = await refusal(whoami({ env: {}, identityFile: join(h, 'stranger'), knownHostsFiles: [sshd.knownHostsPath] }));
    expect(err.code).toBe('ssh.auth');
    expect(err.message).toContain('SSH authentication failed');
    expect(err.details[0]).toMatch(new RegExp(`^offered: key ${join(h, 'stranger')} \\(ssh-ed25519 SHA256:`));
  });

  it('no agent and no key files: says where it looked', async () => {
    const err = await refusal(whoami({ env: { HOME: await home() } }));
    expect(err.code).toBe('ssh.identity');
    expect(err.details[0]).toContain('~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa');
  });
});

describe('transport failures', () => {
  const base = () => ({ env: {}, identityFile: sshd.clientKeyPath, knownHostsFiles: [sshd.knownHostsPath] });

  it('connection refused', async () => {
    const port = await freePort();
    const err = await refusal(connectSsh({ ...base(), host: LOOPBACK, port, user: 'root' }));
    expect(err.code).toBe('ssh.unreachable');
    expect(err.message).toBe(`root@127.0.0.1:${port}: cannot connect over SSH: connection refused (nothing listens on that port)`);
  });

  describe('a server that accepts but never speaks', () => {
    let silent: Server;
    let port: number;
    beforeAll(async () => {
      const sockets = new Set<Socket>();
      // Reads (so a client's close is noticed) but never answers.
      silent = createServer((s) => {
        sockets.add(s.resume());
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => silent.listen(0, LOOPBACK, r));
      port = (silent.address() as { port: number }).port;
      cleanups.push(async () => {
        for (const s of sockets) s.destroy();
        await new Promise((r) => silent.close(r));
      });
    });

    it('times out with the deadline in the message', async () => {
      const err = await refusal(connectSsh({ ...base(), host: LOOPBACK, port, user: 'root', readyTimeoutMs: 300 }));
      expect(err.code).toBe('ssh.timeout');
      expect(err.message).toContain('timed out after 300 ms');
    });

    it('stops waiting when aborted, with the abort reason', async () => {
      const ac = new AbortController();
      const reason = new Error('interrupted by test');
      setTimeout(() => ac.abort(reason), 100);
      await expect(connectSsh({ ...base(), host: LOOPBACK, port, user: 'root', signal: ac.signal })).rejects.toBe(reason);
    });
  });
});
