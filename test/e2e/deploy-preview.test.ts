import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { appContainers, buildAppImage, dockerDeployConfig, removeAppContainers, removeImages } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { httpGet, NGINX_BIN, startNginx, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';

// Acceptance: after a healthy deploy, `<sha12>.<preview.domain>` through a real nginx serves that
// revision (checked with a Host header); any other name under the domain is a 404; destroy takes
// the name away.

const APP = `e2e-preview-${process.pid}`;
const DELTA = `deployer-e2e/${APP}`;
let repo: GitRepo;
let dir: string;
let nginx: Nginx;
let previewPort: number;
let rev: string;

const cli = (...args: string[]) => runCli(['--config', join(dir, 'deployer.yaml'), ...args], { cwd: dir, timeoutMs: 90_000 });
const viaPreview = (host: string) => httpGet(`http://127.0.0.1:${previewPort}/`, { headers: { Host: host } });

beforeAll(async () => {
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  rev = repo.initialSha;
  await buildAppImage(`${DELTA}:${rev}`, 'good');
  previewPort = await freePort();
  nginx = await startNginx({
    httpConf: ([port]) => `
  server { listen 127.0.0.1:${port}; location / { return 200 "production"; } }
  include conf.d/preview.conf;`,
    files: { 'conf.d/preview.conf': '# no environments yet\n', 'conf.d/backend.conf': '' },
  });
  dir = await mkdtemp(join(tmpdir(), 'deployer-e2e-preview-'));
  const nginxCmd = (...extra: string[]) => JSON.stringify([NGINX_BIN, ...nginx.nginxArgs, '-e', nginx.errorLogPath, ...extra]);
  await writeFile(join(dir, 'deployer.yaml'), [
    ...dockerDeployConfig(APP, DELTA, repo.dir, 20),
    `preview: { domain: preview.test, listen: "127.0.0.1:${previewPort}" }`,
    'switch:',
    '  upstream: backend',
    `  file: ${join(nginx.prefix, 'conf.d', 'backend.conf')}`,
    `  previewFile: ${join(nginx.prefix, 'conf.d', 'preview.conf')}`,
    `  test: ${nginxCmd('-t')}`,
    `  reload: ${nginxCmd('-s', 'reload')}`,
    `  verify: { url: "http://127.0.0.1:${nginx.port}/", timeoutSeconds: 10 }`,
    `  stateDir: ${join(dir, 'state')}`,
  ].join('\n'));
});

afterAll(async () => {
  await removeAppContainers(APP);
  await removeImages(`${DELTA}:${rev}`);
  await nginx?.close();
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('preview hostnames through nginx', () => {
  it('deploy adds <sha12>.<domain>, which serves only that revision; destroy removes it', async () => {
    const sha12 = rev.slice(0, 12);
    const plan = await cli('deploy', rev, '--plan');
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`update preview hostnames +${sha12}.preview.test`);
    expect(await readFile(join(nginx.prefix, 'conf.d', 'preview.conf'), 'utf8')).toBe('# no environments yet\n');

    const r = await cli('deploy', rev);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`preview: http://${sha12}.preview.test:${previewPort}/`);
    const res = await viaPreview(`${sha12}.preview.test`);
    expect(res.status).toBe(200);
    expect(res.headers['x-revision']).toBe(rev);
    expect(res.body).toContain('hello from the good app');
    // Never production: another name under the preview domain is a 404.
    expect((await viaPreview('000000000000.preview.test')).status).toBe(404);

    const d = await cli('destroy', rev);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await appContainers(APP)).toEqual([]);
    expect((await viaPreview(`${sha12}.preview.test`)).status).toBe(404);
  }, 180_000);
});
