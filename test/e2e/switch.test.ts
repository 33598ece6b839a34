import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { httpGet } from '../support/http.js';
import type { Nginx } from '../support/nginx.js';
import { StopWaiting, waitFor } from '../support/wait.js';
import { makeWorld, nginxArgv, snapshot, startLbNginx, type World } from '../support/switch-world.js';

// switch, rollback, history, status and lock release through the CLI, as Jenkins runs them: real
// nginx, environments on the docker scheduler, the lock and history in a state directory.

let w: World;
let nginx: Nginx;
let A: string;
let B: string;
let stateDir: string;
const upstreamFile = () => join(nginx.prefix, 'conf.d', 'backend.conf');
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];

beforeAll(async () => {
  w = await makeWorld('e2e-switch', 2);
  [A, B] = w.revs as [string, string];
  nginx = await startLbNginx();
  stateDir = join(w.dir, 'state');
  const sw = (test: string[]) => [
    'switch:',
    '  upstream: backend',
    `  file: ${upstreamFile()}`,
    `  test: ${JSON.stringify(test)}`,
    `  reload: ${JSON.stringify(nginxArgv(nginx, '-s', 'reload'))}`,
    `  verify: { url: "http://127.0.0.1:${nginx.port}/", timeoutSeconds: 15 }`,
    `  stateDir: ${stateDir}`,
  ];
  await w.writeConfig('deployer.yaml', sw(nginxArgv(nginx, '-t')));
  // The same, with a test that takes 3 s: two runs started together overlap for sure, and a run
  // can be killed while it holds the lock.
  await w.writeConfig('slow.yaml', sw(['/bin/sh', '-c', 'sleep 3; exec "$@"', 'sh', ...nginxArgv(nginx, '-t')]));
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
  }
  await w.markTested(A);
}, 240_000);

afterAll(async () => {
  await nginx?.close();
  await w?.close();
});

describe('deployer switch / rollback (local nginx, docker scheduler)', () => {
  it('--plan prints the diff and changes nothing, not even the lock', async () => {
    const before = { conf: await snapshot(join(nginx.prefix, 'conf.d')), state: await snapshot(stateDir) };
    const r = await w.cli(['switch', A, '--plan']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deployer switch ${A.slice(0, 12)}  (live: none)`);
    expect(r.stdout).toContain('-    server 127.0.0.1:9;');
    expect(r.stdout).toMatch(/\+ {4}server 127\.0\.0\.1:\d+;/);
    expect(r.stdout).toContain(`lock ${w.app} on local:${stateDir}/${w.app}/lock`);
    expect(r.stdout).toContain('Plan: 4 steps. Nothing has been changed.');
    const json = JSON.parse((await w.cli(['switch', A, '--plan', '--json'])).stdout) as { steps: { kind: string }[] };
    expect(json.steps.map((s) => s.kind)).toEqual(['switch.lock', 'nginx.switch-upstream', 'switch.verify', 'switch.record']);
    expect({ conf: await snapshot(join(nginx.prefix, 'conf.d')), state: await snapshot(stateDir) }).toEqual(before);
    expect(before.state).toEqual({});
  });

  it('refuses an untested image (exit 4) and a --force without --reason (exit 2)', async () => {
    const r = await w.cli(['switch', B]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain('refusing to make an untested image live');
    expect(r.stderr).toContain(`deployer test-image ${B.slice(0, 12)}`);
    expect((await w.cli(['switch', B, '--force'])).exitCode).toBe(2);
    expect(await readFile(upstreamFile(), 'utf8')).toContain('server 127.0.0.1:9;');
  });

  it('switch → the new revision; rollback → the old one; history shows both', async () => {
    const first = await w.cli(['switch', A]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${A.slice(0, 12)} is live on local (verified; was none)`);
    expect(await served()).toBe(A);

    await w.markTested(B);
    const second = await w.cli(['switch', B.slice(0, 12)]);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(await served()).toBe(B);

    const back = await w.cli(['rollback', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ command: 'rollback', revision: A, previous: B, changed: true });
    expect(await served()).toBe(A);

    const h = JSON.parse((await w.cli(['history', '--json'])).stdout) as { entries: { action: string; from: string | null; to: string; by: string; hosts: string[]; planHash: string }[]; live: string; rollback: string };
    expect(h.entries.map((e) => [e.action, e.from, e.to])).toEqual([['switch', null, A], ['switch', A, B], ['rollback', B, A]]);
    expect(h.entries[0]!.hosts).toEqual(['local']);
    expect(h.entries[0]!.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(h).toMatchObject({ live: A, rollback: B });
    const text = (await w.cli(['history'])).stdout;
    expect(text).toContain(`rollback     ${B.slice(0, 12)} -> ${A.slice(0, 12)}`);

    const again = await w.cli(['switch', A]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already live on local; nothing changed');
  }, 120_000);

  it('status shows the live revision, environments, the rollback target and no drift', async () => {
    const r = await w.cli(['status', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { live: string; rollbackTarget: string; drift: string[]; environments: { revision: string; healthy: number; instances: number; live: boolean }[]; lock: { held: boolean } };
    expect(s).toMatchObject({ live: A, rollbackTarget: B, drift: [], lock: { held: false } });
    expect(s.environments.map((e) => [e.revision, e.healthy, e.instances, e.live]).sort()).toEqual([[A, 1, 1, true], [B, 1, 1, false]].sort());
    expect((await w.cli(['status'])).stdout).toContain(`live:            ${A.slice(0, 12)}`);
  });

  it('two switches started at once: one wins, the other exits 3 (lock held) or 4 (the file changed since its plan)', async () => {
    const [x, y] = await Promise.all([w.cli(['switch', B], { config: 'slow.yaml' }), w.cli(['switch', B], { config: 'slow.yaml' })]);
    const [winner, loser] = x.exitCode === 0 ? [x, y] : [y, x];
    expect(winner.exitCode, winner.stderr).toBe(0);
    // The loser either meets the winner's lock, or gets the lock after the winner released it and
    // finds the file its plan was made against replaced.
    expect(loser.stderr).toMatch(loser.exitCode === 3 ? /switch lock .* is held by/ : /changed since this plan was made/);
    expect([3, 4]).toContain(loser.exitCode);
    expect(await served()).toBe(B);
    const h = JSON.parse((await w.cli(['history', '--json'])).stdout) as { entries: unknown[] };
    expect(h.entries).toHaveLength(4);
  }, 120_000);

  it('a killed switch leaves a stale lock that is reported and can be released; the file is whole', async () => {
    const sub = execa(process.execPath, ['--import', new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href, `${ROOT}src/cli/bin.ts`, '--config', join(w.dir, 'slow.yaml'), 'switch', A], { cwd: w.dir, env: { CI: 'true', NO_COLOR: '1' }, reject: false, stdin: 'ignore' });
    const ownerFile = join(stateDir, w.app, 'lock', 'owner.json');
    let exited: unknown;
    void sub.then((r) => { exited = r; });
    await waitFor(() => {
      if (exited) throw new StopWaiting(`the switch ended before it was killed: ${JSON.stringify(exited)}`);
      return readFile(ownerFile, 'utf8').then(() => true);
    }, { what: 'the switch to take the lock', timeoutMs: 60_000 });
    sub.kill('SIGKILL');
    await sub;
    const text = await readFile(upstreamFile(), 'utf8');
    expect(text).toContain(`# revision ${B}`);
    expect(text.endsWith('}\n')).toBe(true);

    const blocked = await w.cli(['switch', A]);
    expect(blocked.exitCode).toBe(3);
    expect(blocked.stderr).toContain('stale: that process is not running any more');
    expect(blocked.stderr).toContain('deployer lock release');
    const s = JSON.parse((await w.cli(['status', '--json'])).stdout) as { lock: { held: boolean; holder: string } };
    expect(s.lock).toMatchObject({ held: true, holder: 'dead' });

    const plan = await w.cli(['lock', 'release', '--plan']);
    expect(plan.stdout).toContain('(stale)');
    await expect(readFile(ownerFile, 'utf8')).resolves.toContain('"pid"');
    const released = await w.cli(['lock', 'release']);
    expect(released.exitCode, released.stderr).toBe(0);
    expect((await w.cli(['lock', 'release'])).stdout).toContain('not held');

    const ok = await w.cli(['switch', A]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(await served()).toBe(A);
  }, 120_000);
});
