import { chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lbHistory } from '../../src/adapters/state/history.js';
import { lbLock } from '../../src/adapters/state/lock.js';
import { localLbHost } from '../../src/adapters/lb/local.js';
import type { LbHosts } from '../../src/ports/lb-hosts.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

// The local load-balancer host, the lock and the history against the real file system.

let tmp: TmpDir;
const p = (...parts: string[]) => join(tmp.path, ...parts);
const host = localLbHost();
const hosts: LbHosts = { get: () => host, closeAll: async () => {} };
const location = () => ({ host: 'local', dir: p('state', 'app'), lock: p('state', 'app', 'lock'), history: p('state', 'app', 'history.jsonl') });

beforeAll(async () => {
  tmp = await tmpDir('deployer-switch-adapters-');
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('localLbHost', () => {
  it('writeAtomic keeps owner and mode, and leaves no temp file', async () => {
    const f = p('backend.conf');
    await writeFile(f, 'old\n', { mode: 0o640 });
    await chown(f, 1234, 4321);
    const inode = (await stat(f)).ino;
    await host.writeAtomic(f, Buffer.from('new\n'));
    const st = await stat(f);
    expect({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, text: await readFile(f, 'utf8') }).toEqual({ mode: 0o640, uid: 1234, gid: 4321, text: 'new\n' });
    expect(st.ino).not.toBe(inode);
    expect(await readdir(tmp.path)).toEqual(['backend.conf']);
    expect(await host.read(f)).toEqual({ content: Buffer.from('new\n'), mode: 0o640, uid: 1234, gid: 4321 });
    expect(await host.read(p('missing'))).toBeUndefined();
  });

  it('writeFile applies the given owner and mode exactly (umask or not)', async () => {
    const f = p('staged');
    await host.writeFile(f, Buffer.from('x'), { mode: 0o604, uid: 42, gid: 43 });
    const st = await stat(f);
    expect({ mode: st.mode & 0o7777, uid: st.uid, gid: st.gid }).toEqual({ mode: 0o604, uid: 42, gid: 43 });
    await host.remove(f);
    await host.remove(f);
  });

  it('runs argv without a shell, and reports a missing program clearly', async () => {
    const words = ['$(id -u)', 'a;b', "it's", '`x`'];
    const r = await host.run(['printf', '%s\\n', ...words]);
    expect(r).toEqual({ exitCode: 0, stdout: words.join('\n'), stderr: '' });
    expect((await host.run(['sh', '-c', 'echo oops >&2; exit 7'])).exitCode).toBe(7);
    await expect(host.run(['/nonexistent/nginx', '-t'])).rejects.toThrow(/local: .*nonexistent\/nginx/);
  });

  it('mkdirExclusive is the lock primitive; remove takes an empty directory', async () => {
    expect(await host.mkdirExclusive(p('d'))).toBe(true);
    expect(await host.mkdirExclusive(p('d'))).toBe(false);
    await host.remove(p('d'));
    expect(await host.mkdirExclusive(p('d'))).toBe(true);
  });
});

describe('switch lock on a host', () => {
  const lock = (pid = process.pid) => lbLock({ hosts, location, hostname: hostname(), pid, now: () => new Date('2024-01-01T00:00:00Z') });

  it('one holder at a time; the second sees who holds it; release frees it', async () => {
    const a = await lock().acquire({ who: 'alice', revision: 'r1', command: 'switch' });
    expect(a).toMatchObject({ acquired: true, owner: { who: 'alice', pid: process.pid, host: hostname(), revision: 'r1' } });
    const owner = JSON.parse(await readFile(p('state', 'app', 'lock', 'owner.json'), 'utf8'));
    expect(owner.pidStart).toEqual(expect.any(Number));
    const b = await lock().acquire({ who: 'bob', revision: 'r2', command: 'switch' });
    expect(b).toEqual({ acquired: false, state: { owner: expect.objectContaining({ who: 'alice' }), holder: 'alive' } });
    if (a.acquired) await lock().release(a.owner);
    expect(await lock().inspect()).toBeUndefined();
  });

  it('a dead holder on this machine is stale; one on another machine is unknown', async () => {
    const dead = execa('true');
    const deadPid = dead.pid!;
    await dead;
    await mkdir(p('state', 'app', 'lock'), { recursive: true });
    const write = (o: object) => writeFile(p('state', 'app', 'lock', 'owner.json'), JSON.stringify(o));
    await write({ who: 'x', when: 't', pid: deadPid, host: hostname(), revision: 'r', command: 'switch' });
    expect(await lock().inspect()).toMatchObject({ holder: 'dead' });
    // Same pid, but a different process now (start time differs): stale too.
    await write({ who: 'x', when: 't', pid: process.pid, pidStart: 1, host: hostname(), revision: 'r', command: 'switch' });
    expect(await lock().inspect()).toMatchObject({ holder: 'dead' });
    await write({ who: 'x', when: 't', pid: deadPid, host: 'some-other-machine', revision: 'r', command: 'switch' });
    expect(await lock().inspect()).toMatchObject({ holder: 'unknown' });
    expect(await lock().breakLock({ pid: 1, host: 'x', when: 't' })).toBe('changed');
    expect(await lock().breakLock({ pid: deadPid, host: 'some-other-machine', when: 't' })).toBe('released');
    expect(await lock().breakLock(null)).toBe('absent');
  });

  it('a lock directory without owner.json is held, owner unknown', async () => {
    await mkdir(p('state', 'app', 'lock'), { recursive: true });
    expect(await lock().inspect()).toEqual({ owner: null, holder: 'unknown' });
    expect(await lock().breakLock(null)).toBe('released');
    expect(await lock().inspect()).toBeUndefined();
  });
});

describe('switch history on a host', () => {
  it('appends JSON lines atomically and reads them back; a damaged line is reported', async () => {
    const h = lbHistory({ hosts, location });
    const e = { at: 't1', by: 'a', action: 'switch' as const, from: null, to: 'r1', hosts: ['local'], planHash: 'h' };
    await h.append(e);
    await h.append({ ...e, at: 't2', from: 'r1', to: 'r2' });
    expect((await h.read()).map((x) => x.to)).toEqual(['r1', 'r2']);
    expect((await readFile(location().history, 'utf8')).split('\n')).toHaveLength(3);
    await writeFile(location().history, '{"to":"r1"}\n{broken\n');
    await expect(h.read()).rejects.toThrow(/line 2 is not valid JSON/);
  });
});
