import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { buildAppImage, removeImages } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';

// deploy and destroy through the CLI with deploy.scheduler: marathon, against the stand-in with
// basic auth taken from DEPLOYER_MARATHON_USER / DEPLOYER_MARATHON_PASSWORD, or a DC/OS token from
// DEPLOYER_MARATHON_TOKEN.

const APP = `e2e-marathon-${process.pid}`;
const IMAGE_REPO = `deployer-e2e/${APP}`;
const PASSWORD = 'marathon-s3cret-pw';
let marathon: MarathonStandin;
let repo: GitRepo;
let dir: string;
let rev: string;

const cli = (args: string[], env: Record<string, string> = { DEPLOYER_MARATHON_USER: 'deployer', DEPLOYER_MARATHON_PASSWORD: PASSWORD }) =>
  runCli(['--config', join(dir, 'deployer.yaml'), ...args], { cwd: dir, env, timeoutMs: 90_000 });

beforeAll(async () => {
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  rev = repo.initialSha;
  await buildAppImage(`${IMAGE_REPO}:${rev}`, 'good');
  marathon = await startMarathonStandin({ version: '1.4.11', auth: { username: 'deployer', password: PASSWORD } });
  dir = await mkdtemp(join(tmpdir(), 'deployer-e2e-marathon-'));
  await writeFile(join(dir, 'deployer.yaml'), configFor(marathon.url));
});

const configFor = (url: string) => [
  `app: ${APP}`,
  `images: { full: ${IMAGE_REPO}-full, delta: ${IMAGE_REPO} }`,
  `build: { context: ${JSON.stringify(repo.dir)}, appDir: /app }`,
  'deploy:',
  '  scheduler: marathon',
  '  instances: 2',
  '  port: 8000',
  '  healthCheck: { path: /, intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 }',
  '  timeoutSeconds: 60',
  `  marathon: { url: ${JSON.stringify(url)}, appPrefix: /${APP}, cpus: 0.1, mem: 32 }`,
].join('\n');

afterAll(async () => {
  await marathon?.close();
  await removeImages(`${IMAGE_REPO}:${rev}`);
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deployer deploy (marathon scheduler)', () => {
  const appId = () => `/${APP}/${rev.slice(0, 12)}`;

  it('--plan shows the PUT and the 1.4-style app definition, and sends nothing but reads', async () => {
    const r = await cli(['deploy', rev, '--plan']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`+ deploy marathon app ${appId()} and wait until healthy`);
    expect(r.stdout).toContain(`PUT /v2/apps${appId()}  (Marathon 1.4.11: container.docker.network BRIDGE + docker.portMappings)`);
    expect(r.stdout).toContain('"network": "BRIDGE"');
    expect(r.stdout).not.toContain(PASSWORD);
    expect(marathon.requests.filter((q) => q.method !== 'GET')).toEqual([]);
  });

  it('deploys, reports the task backends, and is a no-op the second time; destroy removes the app', async () => {
    const r = await cli(['deploy', rev]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`environment ${appId()} is healthy: 2/2 instances (marathon)`);
    const ports = [...r.stdout.matchAll(/127\.0\.0\.1:(\d+)\s+healthy/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const p of ports) expect((await httpGet(`http://127.0.0.1:${p}/`)).headers['x-revision']).toBe(rev);
    expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);

    const again = await cli(['deploy', rev]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('was already healthy');

    const d = await cli(['destroy', rev]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect((await fetch(`${marathon.url}/v2/apps${appId()}`, { headers: { authorization: `Basic ${Buffer.from(`deployer:${PASSWORD}`).toString('base64')}` } })).status).toBe(404);
    expect(marathon.unhandled).toEqual([]);
  }, 120_000);

  it('without credentials: exit 1 and the variables to set', async () => {
    const r = await cli(['deploy', rev, '--plan'], {});
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Marathon refused the credentials (401)');
    expect(r.stderr).toContain('hint: set DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD');
  });

  it('DEPLOYER_MARATHON_TOKEN: every request carries `Authorization: token=…` (through a redirect too), and the token is never printed', async () => {
    const TOKEN = 'dcos-acs-t0ken-e2e';
    const leader = await startMarathonStandin({ version: '1.10.0' });
    const seen: (string | undefined)[] = [];
    // DC/OS's admin router in front of Marathon: the token, then on to the leader.
    const front = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== `token=${TOKEN}`) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Invalid token"}');
      res.writeHead(307, { Location: `${leader.url}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const config = join(dir, 'token.yaml');
      await writeFile(config, configFor(`http://127.0.0.1:${(front.address() as AddressInfo).port}`));
      const r = await runCli(['--config', config, '-v', 'deploy', rev, '--plan'], { cwd: dir, env: { DEPLOYER_MARATHON_TOKEN: TOKEN }, timeoutMs: 90_000 });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`PUT /v2/apps${appId()}  (Marathon 1.10.0: networks`);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((a) => a === `token=${TOKEN}`)).toBe(true);
      expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);

      const both = await runCli(['--config', config, 'deploy', rev, '--plan'], { cwd: dir, env: { DEPLOYER_MARATHON_TOKEN: TOKEN, DEPLOYER_MARATHON_USER: 'deployer', DEPLOYER_MARATHON_PASSWORD: PASSWORD }, timeoutMs: 90_000 });
      expect(both.exitCode).toBe(2);
      expect(both.stderr).toContain('DEPLOYER_MARATHON_TOKEN and DEPLOYER_MARATHON_USER/PASSWORD exclude each other');
      expect(leader.unhandled).toEqual([]);
    } finally {
      await new Promise((resolve) => front.close(resolve));
      await leader.close();
    }
  });
});
