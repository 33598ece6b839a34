import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { appContainers, buildAppImage, dockerDeployConfig, removeAppContainers, removeImages } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';

// deploy, destroy and gc through the CLI with the docker scheduler, as Jenkins runs them.

const APP = `e2e-deploy-${process.pid}`;
const DELTA = `deployer-e2e/${APP}`;
let repo: GitRepo;
let dir: string;
let good: string;
let broken: string;
let third: string;

const cli = (...args: string[]) => runCli(['--config', join(dir, 'deployer.yaml'), ...args], { cwd: dir });

beforeAll(async () => {
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  good = repo.initialSha;
  broken = await repo.commit('broken', { write: { 'b.txt': 'b\n' } });
  third = await repo.commit('third', { write: { 'c.txt': 'c\n' } });
  await Promise.all([buildAppImage(`${DELTA}:${good}`, 'good'), buildAppImage(`${DELTA}:${broken}`, 'broken')]);
  await buildAppImage(`${DELTA}:${third}`, 'good');
  dir = await mkdtemp(join(tmpdir(), 'deployer-e2e-deploy-'));
  await writeFile(join(dir, 'deployer.yaml'), [
    ...dockerDeployConfig(APP, DELTA, repo.dir, 12),
    'preview: { domain: preview.test, listen: "127.0.0.1:8080" }',
  ].join('\n'));
});

afterAll(async () => {
  await removeAppContainers(APP);
  await removeImages(`${DELTA}:${good}`, `${DELTA}:${broken}`, `${DELTA}:${third}`);
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deployer deploy (docker scheduler)', () => {
  it('--plan names the containers and changes nothing', async () => {
    const r = await cli('deploy', good, '--plan');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`deployer deploy ${good.slice(0, 12)}  (docker, 2 instances)`);
    expect(r.stdout).toContain(`+ deploy containers ${APP}-${good.slice(0, 12)}-{0..1} and wait until healthy`);
    expect(r.stdout).toContain(`image      ${DELTA}:${good}`);
    expect(r.stdout).toContain('Plan: 1 step. Nothing has been changed.');
    expect(await appContainers(APP)).toEqual([]);
    const json = JSON.parse((await cli('deploy', good, '--plan', '--json')).stdout) as { steps: { kind: string; spec: { image: string } }[] };
    expect(json.steps.map((s) => s.kind)).toEqual(['scheduler.deploy']);
    expect(await appContainers(APP)).toEqual([]);
  });

  it('deploys a healthy environment, prints its backends and preview URL; again is a no-op', async () => {
    const r = await cli('deploy', 'HEAD~2');
    expect(r.stderr).not.toMatch(/bug/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`environment ${APP}-${good.slice(0, 12)} is healthy: 2/2 instances (docker)`);
    expect(r.stdout).toContain(`preview: http://${good.slice(0, 12)}.preview.test:8080/`);
    const ports = [...r.stdout.matchAll(/127\.0\.0\.1:(\d+)\s+healthy/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const p of ports) expect((await httpGet(`http://127.0.0.1:${p}/`)).headers['x-revision']).toBe(good);
    expect(r.stderr).toMatch(/2\/2 healthy/);

    const again = await cli('deploy', good, '--json');
    expect(again.exitCode).toBe(0);
    const report = JSON.parse(again.stdout) as { deployed: boolean; environment: { healthy: number; backends: string[] } };
    expect(report.deployed).toBe(false);
    expect(report.environment.healthy).toBe(2);
    expect(report.environment.backends.map((b) => Number(b.split(':')[1])).sort()).toEqual([...ports].sort());
    expect(await appContainers(APP)).toHaveLength(2);
  });

  it('an app that never gets healthy: exit 1, diagnosis, nothing left running', async () => {
    const r = await cli('deploy', broken, '--json');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`deployer: environment ${APP}-${broken.slice(0, 12)} is not healthy after 12s (0/2 instances healthy)`);
    expect(r.stderr).toMatch(/-0 127\.0\.0\.1:\d+: unhealthy — container running, last health check 500/);
    expect(r.stderr).toContain('| broken app starting, every answer is a 500');
    expect(r.stderr).toContain(`  the failed environment ${APP}-${broken.slice(0, 12)} was removed (pass --keep-failed`);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'deploy.unhealthy', exitCode: 1 } });
    expect((await appContainers(APP)).filter((n) => n.includes(broken.slice(0, 12)))).toEqual([]);
  }, 90_000);

  it('--keep-failed keeps it; deploying it again is refused (exit 4) until it is destroyed', async () => {
    const sha12 = broken.slice(0, 12);
    const kept = await runCli(['--config', join(dir, 'deployer.yaml'), 'deploy', broken, '--keep-failed'], { cwd: dir, timeoutMs: 90_000 });
    expect(kept.exitCode).toBe(1);
    expect(kept.stderr).toContain(`deployer destroy ${broken}`);
    expect((await appContainers(APP)).filter((n) => n.includes(sha12))).toHaveLength(2);

    const again = await cli('deploy', broken);
    expect(again.exitCode).toBe(4);
    expect(again.stderr).toContain(`an environment for ${sha12} already exists but is not healthy (0/2 healthy)`);
    expect(again.stderr).toContain(`hint: remove it with \`deployer destroy ${broken}\``);

    const plan = await cli('destroy', sha12, '--plan');
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`- destroy containers ${APP}-${sha12}-{0..1}`);
    expect((await appContainers(APP)).filter((n) => n.includes(sha12))).toHaveLength(2);

    const destroyed = await cli('destroy', sha12);
    expect(destroyed.exitCode).toBe(0);
    expect(destroyed.stdout).toContain(`environment ${APP}-${sha12} removed`);
    expect((await appContainers(APP)).filter((n) => n.includes(sha12))).toEqual([]);
    expect((await cli('destroy', sha12)).stdout).toContain('nothing removed');
  }, 120_000);

  it('gc keeps the newest environments and removes the rest; --plan changes nothing', async () => {
    expect((await cli('deploy', third)).exitCode).toBe(0);
    await writeFile(join(dir, 'deployer.yaml'), `${(await import('node:fs')).readFileSync(join(dir, 'deployer.yaml'), 'utf8')}\nswitch: { upstream: backend, file: ${join(dir, 'backend.conf')}, verify: { url: "http://127.0.0.1/" }, keep: 1, stateDir: ${join(dir, 'state')} }\n`);
    const plan = await cli('gc', '--plan');
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`- destroy containers ${APP}-${good.slice(0, 12)}-{0..1}`);
    expect(plan.stdout).toContain(`note: keep ${third.slice(0, 12)} (one of the newest 1)`);
    expect(await appContainers(APP)).toHaveLength(4);
    const r = await cli('gc');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`removed ${APP}-${good.slice(0, 12)}`);
    expect((await appContainers(APP)).every((n) => n.includes(third.slice(0, 12)))).toBe(true);
    expect(await appContainers(APP)).toHaveLength(2);
  }, 90_000);
});
