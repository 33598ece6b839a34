import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliUntil } from '../support/cli.js';
import { buildAppImage } from '../support/deploy-images.js';
import { httpGet, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { appServices, appTaskContainers, useSwarm } from '../support/swarm.js';
import { makeWorld, snapshot, startPreviewNginx, switchSection, type World } from '../support/switch-world.js';

// The whole flow on a real single-node swarm, through the CLI as Jenkins runs it: deploy 2 replicas
// per revision → healthy → the preview hostname serves it → switch → rollback → destroy, with the
// live and rollback environments protected; a broken revision fails with a diagnosis and its
// service removed; --plan creates nothing; Ctrl-C during a deploy removes the service.

let w: World;
let nginx: Nginx;
let previewPort: number;
let giveBack: (() => Promise<void>) | undefined;
let A: string;
let B: string;
let D: string;
let BROKEN: string;
const sha12 = (r: string) => r.slice(0, 12);
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const viaPreview = (rev: string) => httpGet(`http://127.0.0.1:${previewPort}/`, { headers: { Host: `${sha12(rev)}.preview.test` } });
const services = async () => (await appServices(w.app)).map((n) => n.slice(w.app.length + 1));

beforeAll(async () => {
  giveBack = await useSwarm();
  w = await makeWorld('e2e-swarm', 4);
  [A, B, D, BROKEN] = w.revs as [string, string, string, string];
  await buildAppImage(`${w.delta}:${BROKEN}`, 'broken');
  previewPort = await freePort();
  nginx = await startPreviewNginx();
  await w.writeConfig('deployer.yaml', [
    `preview: { domain: preview.test, listen: "127.0.0.1:${previewPort}" }`,
    ...switchSection(nginx, join(w.dir, 'state'), { verifyTimeoutSeconds: 15, previewFile: true }),
    '  keep: 1',
  ], { scheduler: 'swarm', instances: 2 });
}, 240_000);

afterAll(async () => {
  await nginx?.close();
  await w?.close();
  await giveBack?.();
});

describe('deployer on a swarm (single node)', () => {
  it('deploy --plan prints the service spec and creates nothing', async () => {
    const before = await snapshot(join(nginx.prefix, 'conf.d'));
    const r = await w.cli(['deploy', A, '--plan']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`deployer deploy ${sha12(A)}  (swarm, 2 instances)`);
    expect(r.stdout).toContain(`+ deploy swarm service ${w.app}-${sha12(A)} (2 replicas) and wait until healthy`);
    expect(r.stdout).toContain(`POST /services/create  (swarm service ${w.app}-${sha12(A)})`);
    expect(r.stdout).toContain('"PublishMode": "host"');
    expect(r.stdout).toContain(`note: every swarm node that runs a task needs ${w.delta}:${A}`);
    expect(r.stdout).toMatch(/Plan: 2 steps\. Nothing has been changed\./);
    const json = JSON.parse((await w.cli(['deploy', A, '--plan', '--json'])).stdout) as { facts: { endpoint: string }; steps: { kind: string; scheduler: string }[] };
    expect(json.facts.endpoint).toMatch(/^swarm \(local engine, \d+ nodes?\)$/);
    expect(json.steps.map((s) => [s.kind, s.scheduler ?? null])).toEqual([['scheduler.deploy', 'swarm'], ['nginx.update-preview', null]]);
    expect(await services()).toEqual([]);
    expect(await snapshot(join(nginx.prefix, 'conf.d'))).toEqual(before);
  });

  it('deploys 2 replicas per revision, healthy, each served at node address + port and by its preview hostname', async () => {
    for (const rev of [A, B, D]) {
      const r = await w.cli(['deploy', rev]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`environment ${w.app}-${sha12(rev)} is healthy: 2/2 instances (swarm)`);
      const ports = [...r.stdout.matchAll(/127\.0\.0\.1:(\d+)\s+healthy/g)].map((m) => Number(m[1]));
      expect(new Set(ports).size).toBe(2);
      for (const p of ports) expect((await httpGet(`http://127.0.0.1:${p}/`)).headers['x-revision']).toBe(rev);
      const res = await viaPreview(rev);
      expect(res.status).toBe(200);
      expect(res.headers['x-revision']).toBe(rev);
    }
    expect(await services()).toEqual([A, B, D].map(sha12).sort());
    const again = await w.cli(['deploy', A, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ deployed: false, environment: { healthy: 2 } });
  }, 180_000);

  it('switch → A, switch → B, rollback → A through nginx; status shows the swarm environments', async () => {
    await w.markTested(A);
    await w.markTested(B);
    const first = await w.cli(['switch', A]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await served()).toBe(A);
    expect((await w.cli(['switch', B])).exitCode).toBe(0);
    expect(await served()).toBe(B);
    const back = await w.cli(['rollback', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ revision: A, previous: B, changed: true });
    expect(await served()).toBe(A);
    const upstream = await readFile(join(nginx.prefix, 'conf.d', 'backend.conf'), 'utf8');
    expect(upstream.match(/server 127\.0\.0\.1:\d+/g)).toHaveLength(2);

    const s = JSON.parse((await w.cli(['status', '--json'])).stdout) as { live: string; rollbackTarget: string; drift: string[]; environments: { revision: string; healthy: number; instances: number; live: boolean }[] };
    expect(s).toMatchObject({ live: A, rollbackTarget: B, drift: [] });
    expect(s.environments.map((e) => [e.revision, e.healthy, e.instances, e.live]).sort()).toEqual([[A, 2, 2, true], [B, 2, 2, false], [D, 2, 2, false]].sort());
  }, 180_000);

  it('the live and rollback environments are protected; gc and destroy remove the others', async () => {
    const live = await w.cli(['destroy', A]);
    expect(live.exitCode).toBe(4);
    expect(live.stderr).toContain(`${sha12(A)} is live: its environment cannot be destroyed`);
    expect((await w.cli(['destroy', B])).exitCode).toBe(4);
    const plan = await w.cli(['gc', '--plan']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`- destroy swarm service ${w.app}-${sha12(D)} (2 replicas)`);
    expect(plan.stdout).not.toContain(`destroy swarm service ${w.app}-${sha12(A)}`);
    expect(plan.stdout).not.toContain(`destroy swarm service ${w.app}-${sha12(B)}`);
    expect(await services()).toHaveLength(3);

    const d = await w.cli(['destroy', D]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout).toContain(`environment ${w.app}-${sha12(D)} removed`);
    expect(await services()).toEqual([A, B].map(sha12).sort());
    expect((await appTaskContainers(w.app)).filter((n) => n.includes(sha12(D)))).toEqual([]);
    expect((await viaPreview(D)).status).toBe(404);
    expect(await served()).toBe(A);
  }, 120_000);

  it('a revision that never gets healthy: exit 1, diagnosis with the task and its log, service removed', async () => {
    const r = await w.cli(['deploy', BROKEN, '--json'], { timeoutMs: 120_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`deployer: environment ${w.app}-${sha12(BROKEN)} is not healthy after 30s (0/2 instances healthy)`);
    expect(r.stderr).toMatch(new RegExp(`${w.app}-${sha12(BROKEN)}\\.1 on \\S+ 127\\.0\\.0\\.1:\\d+: unhealthy — task running, last health check 500`));
    expect(r.stderr).toContain('| broken app starting, every answer is a 500');
    expect(r.stderr).toContain(`the failed environment ${w.app}-${sha12(BROKEN)} was removed (pass --keep-failed`);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'deploy.unhealthy', exitCode: 1 } });
    expect(await services()).toEqual([A, B].map(sha12).sort());
    expect((await appTaskContainers(w.app)).filter((n) => n.includes(sha12(BROKEN)))).toEqual([]);
  }, 120_000);

  it('Ctrl-C during a deploy: exit 130, the service and its tasks are removed', async () => {
    const run = await startCliUntil(['--config', join(w.dir, 'deployer.yaml'), 'deploy', BROKEN], { cwd: w.dir }, 'created service');
    expect(await services()).toContain(sha12(BROKEN));
    run.kill('SIGINT');
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toContain('deployer: interrupted (SIGINT); cleanup ran');
    expect(await services()).not.toContain(sha12(BROKEN));
    expect((await appTaskContainers(w.app)).filter((n) => n.includes(sha12(BROKEN)))).toEqual([]);
  }, 120_000);
});
