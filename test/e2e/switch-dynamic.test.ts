import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../support/http.js';
import { startLuaLbNginx } from '../support/lua-nginx.js';
import { NGINX_BIN, type Nginx } from '../support/nginx.js';
import { spawnService, type ServiceProcess } from '../support/process.js';
import { makeWorld, nginxArgv, switchSection, type World } from '../support/switch-world.js';
import { waitFor } from '../support/wait.js';

// switch.method dynamic through the CLI: real nginx with Debian's Lua module, environments on the
// docker scheduler. The first switch reloads once to load the balancer; later ones change the
// running nginx through its control socket, and its workers stay the same processes.

let w: World;
let nginx: Nginx;
let restarted: ServiceProcess | undefined;
let bare: Nginx;
let A: string;
let B: string;
let C: string;
let stateDir: string;
const upstreamFile = () => join(nginx.prefix, 'conf.d', 'backend.conf');
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const socket = () => join(stateDir, w.app, 'backend.sock');

beforeAll(async () => {
  w = await makeWorld('e2e-dyn', 3);
  [A, B, C] = w.revs as [string, string, string];
  nginx = await startLuaLbNginx();
  stateDir = join(w.dir, 'state');
  await w.writeConfig('deployer.yaml', [...switchSection(nginx, stateDir, { verifyTimeoutSeconds: 15 }), '  method: dynamic'], { instances: 2 });
  // The test command removes the control socket after testing: the update that follows finds none.
  await w.writeConfig('lose-socket.yaml', [
    ...switchSection(nginx, stateDir, { verifyTimeoutSeconds: 15 }).map((l) => (l.startsWith('  test:') ? `  test: ${JSON.stringify(['/bin/sh', '-c', '"$@" && mv "$0" "$0.gone"', socket(), ...nginxArgv(nginx, '-t')])}` : l)),
    '  method: dynamic',
  ], { instances: 2 });
  // An nginx without the Lua module, as on a host where the package was not installed.
  bare = await startLuaLbNginx({ withModule: false });
  await w.writeConfig('no-module.yaml', [...switchSection(bare, join(w.dir, 'state-bare'), { verifyTimeoutSeconds: 15 }), '  method: dynamic'], { instances: 2 });
  for (const r of [A, B, C]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
}, 300_000);

afterAll(async () => {
  await restarted?.stop();
  await nginx?.close();
  await bare?.close();
  await w?.close();
});

describe('deployer switch with switch.method dynamic (nginx + Lua, docker scheduler)', () => {
  it('without the Lua module: the test fails, nothing changes, the hint names the package', async () => {
    const before = await readFile(join(bare.prefix, 'conf.d', 'backend.conf'), 'utf8');
    const r = await w.cli(['switch', A], { config: 'no-module.yaml' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('unknown directive "lua_shared_dict"');
    expect(r.stderr).toContain('libnginx-mod-http-lua');
    expect(await readFile(join(bare.prefix, 'conf.d', 'backend.conf'), 'utf8')).toBe(before);
  });

  it('the first switch reloads once to load the balancer, and says so', async () => {
    const plan = await w.cli(['switch', A, '--plan']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('nginx is reloaded once to load the dynamic balancer');
    const r = await w.cli(['switch', A]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await served()).toBe(A);
    const text = await readFile(upstreamFile(), 'utf8');
    expect(text).toContain('# method dynamic');
    expect(text).toContain(`listen unix:${socket()};`);
    // Only root (nginx's master, deployer) may reach the control endpoint.
    expect((await stat(join(stateDir, w.app))).mode & 0o777).toBe(0o700);
  });

  it('later switches go through the control socket: no reload, the same workers, --plan shows the PUT', async () => {
    const plan = await w.cli(['switch', B, '--plan']);
    expect(plan.stdout).toContain(`control: PUT unix:${socket()} /backends (no reload): ${B}`);
    expect(plan.stdout).not.toContain('reload:');
    const workers = nginx.workerPids().sort();
    const r = await w.cli(['switch', B]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${B.slice(0, 12)} is live on local (verified; was ${A.slice(0, 12)})`);
    expect(await served()).toBe(B);
    expect(nginx.workerPids().sort()).toEqual(workers);
    const back = await w.cli(['rollback']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await served()).toBe(A);
    expect(nginx.workerPids().sort()).toEqual(workers);
  });

  it('a reload, and a restart, keep serving the last switch (the file says what the dict said)', async () => {
    expect((await w.cli(['switch', C])).exitCode).toBe(0);
    await nginx.reload();
    for (let i = 0; i < 5; i++) expect(await served()).toBe(C);
    process.kill(nginx.pid, 'SIGQUIT');
    await waitFor(async () => { try { process.kill(nginx.pid, 0); return false; } catch { return true; } }, { what: 'nginx to stop', timeoutMs: 10_000 });
    restarted = await spawnService(NGINX_BIN, [...nginx.nginxArgs, '-e', nginx.errorLogPath], { name: 'nginx', logPath: join(nginx.prefix, 'logs', 'restart.log'), cwd: nginx.prefix });
    await waitFor(async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`).catch(() => undefined))?.headers['x-revision'] === C, { what: 'the restarted nginx to serve', timeoutMs: 10_000 });
    const r = await w.cli(['switch', B]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await served()).toBe(B);
  });

  it('a control socket gone after the test: nothing goes live, the file is byte-identical, exit 1 with the cause', async () => {
    const before = await readFile(upstreamFile(), 'utf8');
    const r = await w.cli(['switch', A], { config: 'lose-socket.yaml' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`local failed: the control endpoint ${socket()} failed: connect ENOENT`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(await readFile(upstreamFile(), 'utf8')).toBe(before);
    expect(await served()).toBe(B);
    // Put the socket back (nginx still listens on it) for whatever runs next.
    await rename(`${socket()}.gone`, socket());
  });
});
