import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { httpGet } from '../support/http.js';
import type { Nginx } from '../support/nginx.js';
import { call, startServe, type Served } from '../support/serve.js';
import { StopWaiting, waitFor } from '../support/wait.js';
import { makeWorld, nginxArgv, startLbNginx, switchSection, type World } from '../support/switch-world.js';

// `deployer serve` against a real small production: environments on the docker scheduler, a real
// nginx whose upstream the API switches, the lock and history in a state directory.

const TOKEN = 'serve-test-token-6f1d2c';
let w: World;
let nginx: Nginx;
let A: string;
let B: string;
let stateDir: string;
let srv: Served;
const upstreamFile = () => join(nginx.prefix, 'conf.d', 'backend.conf');
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  call(`${srv.url}${path.slice(1)}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  w = await makeWorld('e2e-serve', 2);
  [A, B] = w.revs as [string, string];
  nginx = await startLbNginx();
  stateDir = join(w.dir, 'state');
  await w.writeConfig('deployer.yaml', switchSection(nginx, stateDir, { verifyTimeoutSeconds: 15 }));
  const slow = switchSection(nginx, stateDir, { verifyTimeoutSeconds: 15 })
    .map((l) => (l.startsWith('  test:') ? `  test: ${JSON.stringify(['/bin/sh', '-c', 'sleep 4; exec "$@"', 'sh', ...nginxArgv(nginx, '-t')])}` : l));
  await w.writeConfig('slow.yaml', slow);
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
  }
  await w.markTested(A);
  srv = await startServe(w.dir, join(w.dir, 'deployer.yaml'), { DEPLOYER_UI_TOKEN: TOKEN });
}, 240_000);

afterAll(async () => {
  await srv?.close();
  await nginx?.close();
  await w?.close();
});

describe('deployer serve', () => {
  it('GET / shows every environment, health, tests, the lock and a Switch button; never the token', async () => {
    const r = await call(srv.url);
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/html');
    expect(r.body).toContain(`deployer · ${w.app}`);
    for (const rev of [A, B]) expect(r.body).toContain(`<tr class="" data-revision="${rev}">`);
    expect(r.body).toMatch(/<td class="ok">1\/1<\/td>/);
    expect(r.body).toMatch(/tested \S+ by test/);
    expect(r.body).toContain('untested');
    expect(r.body).toContain(`data-action="switch" data-revision="${A}"`);
    expect(r.body).toContain('Lock: free');
    expect(r.body).toContain('no switches recorded yet');
    expect(r.body).not.toContain(TOKEN);
  });

  it('GET /api/status is what `status --json` prints; /api/history; /api/upstream/<rev> and `deployer upstream`', async () => {
    const api = JSON.parse((await call(`${srv.url}api/status`)).body) as Record<string, unknown>;
    const cli = JSON.parse((await w.cli(['status', '--json'])).stdout) as Record<string, unknown>;
    const noAge = (s: Record<string, unknown>) => ({ ...s, environments: (s.environments as Record<string, unknown>[]).map(({ ageSeconds: _a, ...e }) => e) });
    expect(noAge(api)).toEqual(noAge(cli));
    expect(JSON.parse((await call(`${srv.url}api/history`)).body)).toEqual({ command: 'history', entries: [] });
    const up = await call(`${srv.url}api/upstream/${A.slice(0, 12)}`);
    expect(up.status).toBe(200);
    expect(up.type).toContain('text/plain');
    expect(up.body).toContain(`# revision ${A}\nupstream backend {\n    server 127.0.0.1:`);
    const cliUp = await w.cli(['upstream', A]);
    expect(cliUp.exitCode, cliUp.stderr).toBe(0);
    expect(`${cliUp.stdout}\n`).toBe(up.body);
    const unknown = await call(`${srv.url}api/upstream/${'e'.repeat(40)}`);
    expect(unknown.status).toBe(422);
    expect(JSON.parse(unknown.body).error).toContain(`no environment for revision ${'e'.repeat(40)}`);
  });

  it('refuses POSTs without the token, with a wrong one, from another origin, and bad bodies; nothing changes', async () => {
    const before = await readFile(upstreamFile(), 'utf8');
    const none = await post('/api/switch', { revision: A }, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    expect((await post('/api/switch', { revision: A }, { ...auth, authorization: 'Bearer nope' })).status).toBe(401);
    const cross = await post('/api/switch', { revision: A }, { ...auth, origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error).toContain('cross-origin request refused (Origin http://evil.example)');
    const bad = await post('/api/switch', '{"revision":');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('request body is not JSON');
    expect((await post('/api/switch', { revision: A, extra: 1 })).status).toBe(400);
    expect((await post('/api/switch', {})).status).toBe(400);
    const big = await post('/api/switch', JSON.stringify({ revision: A, who: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    const unknown = await post('/api/switch', { revision: 'f'.repeat(40) });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    const untested = await post('/api/switch', { revision: B });
    expect(untested.status).toBe(422);
    expect(JSON.parse(untested.body).error).toContain('untested');
    expect(await readFile(upstreamFile(), 'utf8')).toBe(before);
    expect(srv.stderr()).not.toContain(TOKEN);
  });

  it('plans first (changing nothing), then switches: production serves it, history and events name the caller', async () => {
    const plan = await post('/api/switch', { revision: A, plan: true, who: 'alice' });
    expect(plan.status, plan.body).toBe(200);
    const p = JSON.parse(plan.body) as { text: string; planHash: string; steps: number };
    expect(p.text).toContain(`deployer switch ${A.slice(0, 12)}  (live: none)`);
    expect(p.text).toContain('Nothing has been changed.');
    expect(await readFile(upstreamFile(), 'utf8')).toContain('server 127.0.0.1:9;');
    await expect(stat(join(stateDir, w.app, 'history.jsonl'))).rejects.toThrow();

    expect((await post('/api/switch', { revision: A, planHash: 'a'.repeat(64), who: 'alice' })).status).toBe(409);
    const done = await post('/api/switch', { revision: A, planHash: p.planHash, who: 'alice' });
    expect(done.status, done.body).toBe(200);
    expect(JSON.parse(done.body)).toMatchObject({ command: 'switch', revision: A, previous: null, changed: true });
    expect(await served()).toBe(A);
    const h = JSON.parse((await call(`${srv.url}api/history`)).body) as { entries: { to: string; by: string }[] };
    expect(h.entries).toHaveLength(1);
    expect(h.entries[0]!.to).toBe(A);
    expect(h.entries[0]!.by).toMatch(/^web:alice \(/);
    const events = (await readFile(join(w.dir, '.deployer', 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e.type)).toEqual(['deploy', 'deploy', 'switch']);
    expect(events[2]).toMatchObject({ type: 'switch', app: w.app, revision: A, previous: null });
    expect(events[2]!.who).toMatch(/^web:alice/);
    expect((await call(srv.url)).body).toContain(`<tr class="live" data-revision="${A}">`);
  }, 120_000);

  it('answers 409 while another switch holds the lock', async () => {
    await w.markTested(B);
    const cli = runCli(['--config', join(w.dir, 'slow.yaml'), 'switch', B], { cwd: w.dir });
    let ended = false;
    void cli.then(() => { ended = true; });
    await waitFor(() => {
      if (ended) throw new StopWaiting('the CLI switch ended before the lock could be seen');
      return readFile(join(stateDir, w.app, 'lock', 'owner.json'), 'utf8').then(() => true);
    }, { what: 'the CLI switch to take the lock', timeoutMs: 60_000 });
    const r = await post('/api/switch', { revision: B, who: 'bob' });
    expect(r.status, r.body).toBe(409);
    expect(JSON.parse(r.body).error).toMatch(/lock .* is held by/);
    expect((await cli).exitCode).toBe(0);
    expect(await served()).toBe(B);
  }, 120_000);

  it('is read-only without DEPLOYER_UI_TOKEN and refuses a non-loopback address then (exit 2)', async () => {
    const ro = await startServe(w.dir, join(w.dir, 'deployer.yaml'));
    try {
      const page = await call(ro.url);
      expect(page.body).toContain('Read-only');
      expect(page.body).not.toContain('data-action="switch"');
      const r = await call(`${ro.url}api/switch`, { method: 'POST', headers: auth, body: JSON.stringify({ revision: A }) });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body).error).toContain('read-only');
    } finally {
      await ro.close();
    }
    const open = await w.cli(['serve', '--listen', '0.0.0.0:0']);
    expect(open.exitCode).toBe(2);
    expect(open.stderr).toContain('refusing to listen on 0.0.0.0 without DEPLOYER_UI_TOKEN');
  }, 60_000);
});
