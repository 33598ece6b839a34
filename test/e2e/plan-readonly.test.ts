import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { removeAppContainers } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo, type RepoFiles } from '../support/git-repo.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { snapshot } from '../support/switch-world.js';
import { runCli } from '../support/cli.js';
import { tmpDir } from '../support/tmp.js';

// The foundation's promise: `--plan` on any command changes nothing — no container, image, network,
// file, lock or history entry. A small production is set up for real (full build, delta build,
// tests, an environment, a switch, then a new commit), and every command's plan runs against it
// while the engine and the file system are compared before and after.

const APP = `planro-${process.pid}`;
let repo: GitRepo;
let work: { path: string; cleanup(): Promise<void> };
let nginx: Nginx;
const cfg = () => join(work.path, 'deployer.yaml');
const cli = (args: string[]) => runCli(['--config', cfg(), ...args], { cwd: work.path, timeoutMs: 180_000 });

async function fixtureFiles(dir: string, prefix = ''): Promise<RepoFiles> {
  const out: RepoFiles = {};
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await fixtureFiles(dir, rel));
    else if (e.isSymbolicLink()) out[rel] = { symlink: await readlink(join(dir, rel)) };
    else out[rel] = { content: await readFile(join(dir, rel), 'utf8'), mode: rel.endsWith('.sh') ? 0o755 : 0o644 };
  }
  return out;
}

/** Everything of this app on the engine: containers (with state), images (with tags), networks. */
async function engineState(): Promise<string[]> {
  const lines = async (args: string[]) => (await execa('docker', args)).stdout.split('\n').filter((l) => l.includes(APP));
  return [
    ...(await lines(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Labels}}'])).sort(),
    ...(await lines(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).sort(),
    ...(await lines(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}} {{.Labels}}'])).sort(),
  ];
}

async function fsState(): Promise<Record<string, string>> {
  const all = { ...(await snapshot(work.path)), ...(await snapshot(repo.dir)) };
  // git refreshes its index's stat cache on `git status`; that is git's bookkeeping, not ours.
  // nginx writes its own logs; the running nginx is not asked to do anything by a plan.
  return Object.fromEntries(Object.entries(all).filter(([p]) => !p.includes('/.git/') && !p.includes('/logs/')));
}

beforeAll(async () => {
  work = await tmpDir('deployer-planro-');
  repo = await makeGitRepo(await fixtureFiles(join(ROOT, 'fixtures/webapp')));
  nginx = await startNginx({
    httpConf: ([port, preview]) => `  include conf.d/backend.conf;
  include conf.d/preview.conf;
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }
  # preview on ${preview}`,
    ports: 2,
    files: { 'conf.d/backend.conf': 'upstream backend { server 127.0.0.1:9; }\n', 'conf.d/preview.conf': '' },
  });
  const ngx = (...a: string[]) => JSON.stringify(['/usr/sbin/nginx', ...nginx.nginxArgs, '-e', nginx.errorLogPath, ...a]);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(cfg(), [
    `app: ${APP}`,
    `images: { full: deployer-e2e/${APP}-full, delta: deployer-e2e/${APP} }`,
    `build: { context: ${JSON.stringify(repo.dir)}, appDir: /app }`,
    'changes: { infra: [Dockerfile, .dockerignore], deps: [deps.lock], ignore: [README.md], depsDir: /app/deps, depsInstall: "mkdir -p /app/deps && cp /app/deps.lock /app/deps/installed.txt" }',
    'test: { command: "grep -q webapp /app/index.html", timeoutSeconds: 60 }',
    'deploy: { scheduler: docker, instances: 1, port: 8000, healthCheck: { path: /, intervalSeconds: 0.25, timeoutSeconds: 1 }, timeoutSeconds: 60 }',
    `preview: { domain: preview.localhost, listen: "127.0.0.1:${nginx.ports[1]}" }`,
    'switch:',
    '  upstream: backend',
    `  file: ${join(nginx.prefix, 'conf.d/backend.conf')}`,
    `  previewFile: ${join(nginx.prefix, 'conf.d/preview.conf')}`,
    `  test: ${ngx('-t')}`,
    `  reload: ${ngx('-s', 'reload')}`,
    `  verify: { url: "http://127.0.0.1:${nginx.ports[0]}/", timeoutSeconds: 20 }`,
    `  stateDir: ${join(work.path, 'state')}`,
    `state: { dir: ${JSON.stringify(join(work.path, 'records'))} }`,
  ].join('\n'));
  const v1 = repo.initialSha;
  const v2 = await repo.commit('v2', { write: { 'index.html': '<h1>webapp v2</h1>\n' } });
  for (const args of [['full-build', v1], ['delta-build', v2], ['test-image', v2, '--junit', join(work.path, 'junit.xml')], ['deploy', v2], ['switch', v2, '--yes']]) {
    const r = await cli(args);
    expect(r.exitCode, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  }
  await repo.commit('v3', { write: { 'index.html': '<h1>webapp v3</h1>\n', 'deps.lock': 'deps: 3\n' } });
}, 600_000);

afterAll(async () => {
  await removeAppContainers(APP);
  const imgs = (await execa('docker', ['images', '-q', '--filter', `reference=deployer-e2e/${APP}*`])).stdout.split('\n').filter(Boolean);
  if (imgs.length) await execa('docker', ['rmi', '-f', ...new Set(imgs)], { reject: false });
  await nginx?.close();
  await repo?.close();
  await work?.cleanup();
});

describe('--plan changes nothing', () => {
  const head = () => repo.head();
  const v2 = () => repo.git(['rev-parse', 'HEAD~1']);
  const cases: [string, () => Promise<string[]>, number[]][] = [
    ['changes', async () => ['changes', repo.initialSha], [0]],
    ['full-build', async () => ['full-build'], [0]],
    ['delta-build (deps change)', async () => ['delta-build', await head()], [0]],
    ['verify', async () => ['verify', await v2()], [0]],
    ['test-image', async () => ['test-image', await v2()], [0]],
    ['deploy (already healthy)', async () => ['deploy', await v2()], [0]],
    ['deploy (image not built yet)', async () => ['deploy', await head()], [0, 4]],
    ['destroy (the live one: refused)', async () => ['destroy', await v2()], [4]],
    ['gc', async () => ['gc'], [0]],
    ['switch (already live)', async () => ['switch', await v2()], [0, 4]],
    ['rollback (no earlier revision)', async () => ['rollback'], [0, 4]],
    ['status', async () => ['status'], [0]],
    ['history', async () => ['history'], [0]],
    ['lock release', async () => ['lock', 'release'], [0, 4]],
  ];

  it.each(cases)('%s --plan leaves the engine and the file system as they were', async (_name, args, codes) => {
    const before = { engine: await engineState(), fs: await fsState() };
    for (const json of [false, true]) {
      const r = await cli(['--plan', ...(json ? ['--json'] : []), ...(await args())]);
      expect(codes, `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`).toContain(r.exitCode);
      if (r.exitCode === 0 && json) expect(JSON.parse(r.stdout)).toMatchObject({ version: 1, steps: expect.any(Array) });
      if (r.exitCode === 0 && !json) expect(r.stdout).toMatch(/Nothing has been changed\.$/m);
    }
    expect({ engine: await engineState(), fs: await fsState() }).toEqual(before);
  });
});
