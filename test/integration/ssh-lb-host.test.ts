// sshLbHost (files over SFTP, commands over exec) and openSshExec against a real OpenSSH sshd. The
// sshd runs locally as root, so what it writes is checked directly on the local file system.
import { chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSshExec } from '../../src/adapters/ssh/exec.js';
import { sshLbHost } from '../../src/adapters/ssh/lb-host.js';
import { PreconditionError, StepFailedError } from '../../src/core/errors.js';
import type { LbHost } from '../../src/ports/lb.js';
import { SKIP_BASHRC, splitNul, TRICKY } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

let sshd: Sshd;
let tmp: TmpDir;
let host: LbHost;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  sshd = await startSshd({ extraConfig: SKIP_BASHRC });
  cleanups.push(() => sshd.close());
  tmp = await tmpDir('deployer-ssh-lb-');
  cleanups.push(() => tmp.cleanup());
  host = lbHost();
  cleanups.push(() => host.close());
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

function lbHost(extra: { knownHostsFiles?: string[] } = {}): LbHost {
  return sshLbHost({
    host: sshd.host,
    port: sshd.port,
    user: sshd.user,
    identityFile: sshd.clientKeyPath,
    knownHostsFiles: [sshd.knownHostsPath],
    env: {},
    ...extra,
  });
}

const logins = async () => ((await readFile(sshd.logPath, 'utf8')).match(/Accepted publickey/g) ?? []).length;
const p = (name: string) => join(tmp.path, name);

describe('sshLbHost files', () => {
  it('reads content, mode and owner; a missing file is undefined', async () => {
    await writeFile(p('read.conf'), 'upstream x {}\n', { mode: 0o640 });
    await chown(p('read.conf'), 1234, 4321);
    expect(await host.read(p('read.conf'))).toEqual({ content: Buffer.from('upstream x {}\n'), mode: 0o640, uid: 1234, gid: 4321 });
    expect(await host.read(p('missing.conf'))).toBeUndefined();
    await expect(host.read(tmp.path)).rejects.toThrow(/is not a regular file/);
  });

  it('writeAtomic replaces an existing file by rename, keeping mode 0640 and owner, leaving no temp file', async () => {
    const file = p('backend.conf');
    await writeFile(file, 'old\n', { mode: 0o640 });
    await chown(file, 1234, 4321);
    const before = await stat(file);
    await host.writeAtomic(file, Buffer.from('new\n'));
    const after = await stat(file);
    expect(await readFile(file, 'utf8')).toBe('new\n');
    expect(after.mode & 0o7777).toBe(0o640);
    expect([after.uid, after.gid]).toEqual([1234, 4321]);
    expect(after.ino).not.toBe(before.ino); // a new file renamed into place, not rewritten in place
    expect((await readdir(tmp.path)).filter((f) => f.includes('backend.conf'))).toEqual(['backend.conf']);
  });

  it('writeAtomic and writeFile apply an explicit `like` exactly (mode beyond the umask too)', async () => {
    await host.writeAtomic(p('like.conf'), Buffer.from('x'), { mode: 0o664, uid: 2000, gid: 2001 });
    await host.writeFile(p('staged.conf'), Buffer.from('y'), { mode: 0o600, uid: 2002, gid: 2003 });
    const a = await stat(p('like.conf'));
    const b = await stat(p('staged.conf'));
    expect([a.mode & 0o7777, a.uid, a.gid]).toEqual([0o664, 2000, 2001]);
    expect([b.mode & 0o7777, b.uid, b.gid]).toEqual([0o600, 2002, 2003]);
    expect(await readFile(p('staged.conf'), 'utf8')).toBe('y');
  });

  it('writeFile truncates a longer existing file; an empty buffer gives an empty file', async () => {
    await writeFile(p('trunc'), 'a much longer previous content\n');
    await host.writeFile(p('trunc'), Buffer.from('short'));
    expect(await readFile(p('trunc'), 'utf8')).toBe('short');
    await host.writeAtomic(p('empty'), Buffer.alloc(0));
    expect((await stat(p('empty'))).size).toBe(0);
  });

  it('concurrent readers only ever see a whole old or a whole new file', async () => {
    const file = p('whole.conf');
    const versions = Array.from({ length: 12 }, (_, i) => Buffer.alloc(256 * 1024, String.fromCharCode(97 + i)));
    await writeFile(file, versions[0]!);
    let stop = false;
    const seen: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const b = await readFile(file);
        seen.push(b.length === versions[0]!.length && b.every((c) => c === b[0]) ? 'whole' : `torn(${b.length})`);
      }
    })();
    for (const v of versions.slice(1)) await host.writeAtomic(file, v);
    stop = true;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s !== 'whole')).toEqual([]);
    expect((await readFile(file)).equals(versions.at(-1)!)).toBe(true);
  });

  it('rename replaces an existing target (sftp.rename alone would fail on OpenSSH)', async () => {
    await writeFile(p('from'), 'from');
    await writeFile(p('to'), 'to');
    await host.rename(p('from'), p('to'));
    expect(await readFile(p('to'), 'utf8')).toBe('from');
    await expect(stat(p('from'))).rejects.toThrow();
  });

  it('mkdirExclusive is the lock primitive: true once, then false', async () => {
    const lock = p('switch.lock');
    expect(await host.mkdirExclusive(lock)).toBe(true);
    expect((await stat(lock)).isDirectory()).toBe(true);
    expect(await host.mkdirExclusive(lock)).toBe(false);
    const results = await Promise.all([lbHost(), lbHost(), lbHost()].map(async (h) => {
      try {
        return await h.mkdirExclusive(p('race.lock'));
      } finally {
        await h.close();
      }
    }));
    expect(results.filter(Boolean)).toHaveLength(1);
    await expect(host.mkdirExclusive(p('no/such/parent/x.lock'))).rejects.toBeInstanceOf(StepFailedError);
  });

  it('mkdirp creates missing parents and accepts existing ones', async () => {
    await host.mkdirp(p('a/b/c'));
    await host.mkdirp(p('a/b/c'));
    expect((await stat(p('a/b/c'))).isDirectory()).toBe(true);
    await writeFile(p('a/file'), '');
    await expect(host.mkdirp(p('a/file/d'))).rejects.toThrow(/exists and is not a directory/);
  });

  it('remove deletes a file or an empty directory; a missing path is fine; a full directory is refused', async () => {
    await writeFile(p('gone'), '');
    await host.remove(p('gone'));
    await expect(stat(p('gone'))).rejects.toThrow();
    await mkdir(p('emptydir'));
    await host.remove(p('emptydir'));
    await expect(stat(p('emptydir'))).rejects.toThrow();
    await host.remove(p('never-existed'));
    await mkdir(p('full'));
    await writeFile(p('full/x'), '');
    await expect(host.remove(p('full'))).rejects.toBeInstanceOf(StepFailedError);
  });

  it('write errors name the host and the path', async () => {
    const err = await host.writeFile(p('no/such/dir/f'), Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toBe(`${sshd.user}@127.0.0.1:${sshd.port}: write ${p('no/such/dir/f')} failed: No such file`);
  });
});

describe('sshLbHost.run', () => {
  it('passes tricky arguments to the remote program verbatim', async () => {
    const r = await host.run(['printf', '%s\\0', ...TRICKY]);
    expect(r.exitCode).toBe(0);
    expect(splitNul(r.stdout)).toEqual(TRICKY);
  });

  it('returns exit code, stdout and stderr separately (non-zero does not throw)', async () => {
    expect(await host.run(['sh', '-c', 'echo out; echo err >&2; exit 7'])).toEqual({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
    expect((await host.run(['no-such-program-xyz'])).exitCode).toBe(127);
    expect((await host.run(['sh', '-c', 'kill -TERM $$'])).exitCode).toBe(143);
  });

  it('kills a command that outlives its timeout', async () => {
    // Unique per test process, and short enough not to linger if the test itself breaks.
    const sleep = `28.${process.pid}`;
    const err = await host.run(['sleep', sleep], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as StepFailedError).code).toBe('ssh.timeout');
    await waitFor(async () => (await execa('pgrep', ['-f', `sleep ${sleep}`], { reject: false })).exitCode === 1, {
      what: 'the remote sleep to be killed',
      timeoutMs: 10_000,
    });
  });

  it('uses one connection for everything, reconnecting only after close()', async () => {
    const h = lbHost();
    const before = await logins();
    await Promise.all([h.run(['true']), h.read(p('read.conf')), h.run(['true']), h.mkdirp(p('one/conn'))]);
    await h.run(['true']);
    expect(await logins()).toBe(before + 1);
    await h.close();
    await h.run(['true']);
    expect(await logins()).toBe(before + 2);
    await h.close();
  });

  it('reconnects after the connection dropped', async () => {
    const h = lbHost();
    await h.run(['true']);
    // The per-connection sshd processes are this test's own sshd's children.
    for (const pid of sshd.process.tree().filter((x) => x !== sshd.pid)) process.kill(pid, 'SIGKILL');
    const before = await logins();
    // The first call may still see the dying connection; then the next one opens a new one.
    await waitFor(async () => (await h.run(['echo', 'back'])).stdout === 'back\n', { what: 'a command over a new connection' });
    expect(await logins()).toBe(before + 1);
    await h.close();
  });

  it('a read that meets a connection dropped while idle reconnects once by itself', async () => {
    const h = lbHost();
    await writeFile(p('idle.conf'), 'still here\n');
    await h.read(p('idle.conf'));
    const before = await logins();
    // Issued before the client has seen the close: the request goes to the dead session.
    for (const pid of sshd.process.tree().filter((x) => x !== sshd.pid)) process.kill(pid, 'SIGKILL');
    const reads = await Promise.all([h.read(p('idle.conf')), h.read(p('idle.conf'))]);
    expect(reads.map((r) => r?.content.toString())).toEqual(['still here\n', 'still here\n']);
    expect(await logins()).toBe(before + 1);
    await h.close();
  });

  it('a rename that meets a dropped connection is not repeated, and the next call reconnects', async () => {
    const h = lbHost();
    await writeFile(p('from.conf'), 'x\n');
    await h.read(p('from.conf'));
    for (const pid of sshd.process.tree().filter((x) => x !== sshd.pid)) process.kill(pid, 'SIGKILL');
    const err = await h.rename(p('from.conf'), p('to.conf')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toMatch(/rename .*No response from server/);
    expect((await h.read(p('from.conf')))?.content.toString()).toBe('x\n');
    await h.close();
  });

  it('a refused host key surfaces from the first operation as exit 4, and nothing is written', async () => {
    const kh = p('wrong_known_hosts');
    await writeFile(kh, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]).toString('base64')}\n`);
    const h = lbHost({ knownHostsFiles: [kh] });
    const err = await h.writeFile(p('must-not-exist'), Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).code).toBe('ssh.host-key-mismatch');
    await expect(stat(p('must-not-exist'))).rejects.toThrow();
    await h.close();
  });
});

describe('openSshExec (exec.via: ssh)', () => {
  it('runs argv with env and working directory in the command string, streaming lines', async () => {
    const ex = await openSshExec({ port: sshd.port, user: sshd.user, keyFile: sshd.clientKeyPath, pinnedHostKey: sshd.hostKeyPub, env: {} });
    cleanups.push(() => ex.close());
    const lines: [string, string][] = [];
    const r = await ex.exec(['sh', '-c', 'echo "$GREETING from $(pwd)"; printf "no newline" >&2; exit 3'], {
      env: { GREETING: "it's $HOME; `x`" },
      workingDir: tmp.path,
      onLine: (line, stream) => lines.push([stream, line]),
    });
    expect(r).toEqual({ exitCode: 3, stdout: `it's $HOME; \`x\` from ${tmp.path}\n`, stderr: 'no newline' });
    expect(lines).toEqual([
      ['stdout', `it's $HOME; \`x\` from ${tmp.path}`],
      ['stderr', 'no newline'],
    ]);
    // Several commands over the same connection.
    expect((await ex.exec(['printf', '%s\\0', ...TRICKY])).stdout).toBe(TRICKY.map((t) => `${t}\0`).join(''));
  });

  it('aborts on the signal: rejects with its reason and the remote process is killed', async () => {
    const ex = await openSshExec({ port: sshd.port, user: sshd.user, keyFile: sshd.clientKeyPath, pinnedHostKey: sshd.hostKeyPub, env: {} });
    cleanups.push(() => ex.close());
    const sleep = `29.${process.pid}`;
    const ac = new AbortController();
    const reason = new Error('Ctrl-C');
    const running = ex.exec(['sleep', sleep], { signal: ac.signal });
    await waitFor(async () => (await execa('pgrep', ['-f', `sleep ${sleep}`], { reject: false })).exitCode === 0, {
      what: 'the remote sleep to start',
    });
    ac.abort(reason);
    await expect(running).rejects.toBe(reason);
    await waitFor(async () => (await execa('pgrep', ['-f', `sleep ${sleep}`], { reject: false })).exitCode === 1, {
      what: 'the remote sleep to be killed',
      timeoutMs: 10_000,
    });
  });

  it('refuses a container whose host key differs from the pinned one', async () => {
    const other = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 9)]).toString('base64')}`;
    const err = await openSshExec({ port: sshd.port, user: sshd.user, keyFile: sshd.clientKeyPath, pinnedHostKey: other, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as PreconditionError).message).toContain("does not match the container's host key");
  });
});
