// How builds fail, through the CLI on the real engine: a registry with htpasswd auth (credentials
// from the environment or config.json, wrong ones refused before a long build), an unreachable
// registry, a failing dependency install, the layer budget, Ctrl-C in the middle of a delta, and a
// failing RUN. Each gives a clear error and a non-zero exit; nothing half-tagged is left behind,
// locally or in the registry; no build container remains.
import { writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { containersNamed, localTags, makeWebappRepo, registryTags, removeRepositories, uniqueName, writeBuildConfig } from '../support/build.js';
import type { GitRepo } from '../support/git-repo.js';
import { freePort } from '../support/ports.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const T = 180_000;
const USER = 'deployer';
const PASSWORD = 'correct horse battery';
let reg: Registry;
let repo: GitRepo;
let work: TmpDir;
let emptyDockerConfig: TmpDir;
let loginDockerConfig: TmpDir;
const app = uniqueName('fail');
const fullPath = `deployer-test/${app}-full`;
const deltaPath = `deployer-test/${app}`;
const auth = { user: USER, password: PASSWORD };
let full: string;
let delta: string;

/** A config directory per variant of deployer.yaml (same repo and image names). */
async function variant(name: string, over: { registry?: string; extra?: string; depsInstall?: string } = {}): Promise<string> {
  const dir = join(work.path, name);
  await mkdir(dir, { recursive: true });
  const path = await writeBuildConfig(dir, repo.dir, { app, full: fullPath, delta: deltaPath, registry: over.registry ?? reg.host, ...(over.extra ? { extra: over.extra } : {}) });
  if (over.depsInstall) {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/depsInstall: .*/, `depsInstall: ${JSON.stringify(over.depsInstall)}`));
  }
  return dir;
}

const cli = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd, env: { DOCKER_CONFIG: emptyDockerConfig.path, ...env }, timeoutMs: T });
const goodEnv = { DEPLOYER_REGISTRY_USER: USER, DEPLOYER_REGISTRY_PASSWORD: PASSWORD };

async function nothingLeft(sha: string) {
  expect(await localTags(delta)).toEqual([]);
  expect(await registryTags(reg.url, deltaPath, auth)).toEqual([]);
  expect(await containersNamed(`deployer-build-${app}-${sha.slice(0, 12)}`)).toEqual([]);
}

beforeAll(async () => {
  reg = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
  work = await tmpDir('deployer-build-fail-');
  emptyDockerConfig = await tmpDir('deployer-build-nocfg-');
  loginDockerConfig = await tmpDir('deployer-build-login-');
  await writeFile(join(loginDockerConfig.path, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }));
  repo = await makeWebappRepo();
  full = `${reg.host}/${fullPath}`;
  delta = `${reg.host}/${deltaPath}`;
}, T);

afterAll(async () => {
  await removeRepositories(full, delta);
  await Promise.all([reg?.close(), repo?.close(), work?.cleanup(), emptyDockerConfig?.cleanup(), loginDockerConfig?.cleanup()]);
}, T);

describe('build failures', () => {
  it('a registry that refuses the credentials stops full-build before it builds (exit 4), without printing the password', async () => {
    const dir = await variant('main');
    const none = await cli(dir, ['full-build']);
    expect(none.exitCode).toBe(4);
    expect(none.stderr).toMatch(/registry .* requires credentials/);
    const wrong = await cli(dir, ['full-build'], { DEPLOYER_REGISTRY_USER: USER, DEPLOYER_REGISTRY_PASSWORD: 'wrong password' });
    expect(wrong.exitCode).toBe(4);
    expect(wrong.stderr).toMatch(/refused the credentials of deployer/);
    expect(wrong.stderr).toMatch(/hint: check the password \(from DEPLOYER_REGISTRY_USER\/DEPLOYER_REGISTRY_PASSWORD\)/);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong password');
    expect(await localTags(full)).toEqual([]);
  }, T);

  it('a dirty work tree is refused (exit 4) unless --allow-dirty, which builds the commit tagged -dirty', async () => {
    const dir = join(work.path, 'main');
    await writeFile(join(repo.dir, 'index.html'), '<h1>uncommitted</h1>\n');
    try {
      const r = await cli(dir, ['--plan', 'full-build'], goodEnv);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(/the work tree has uncommitted changes to tracked files/);
      expect(r.stderr).toMatch(/hint: .*--allow-dirty/);
      const allowed = await cli(dir, ['--plan', 'full-build', '--allow-dirty'], goodEnv);
      expect(allowed.exitCode, allowed.stderr).toBe(0);
      expect(allowed.stdout).toContain(`build ${full}:${repo.initialSha}-dirty`);
      expect(allowed.stdout).not.toMatch(/ as \S+:latest$/m);
      expect(allowed.stdout).toMatch(/they are NOT in the image/);
    } finally {
      await repo.git(['checkout', '--', 'index.html']);
    }
  }, T);

  it('credentials from $DOCKER_CONFIG/config.json: full-build pushes through htpasswd auth', async () => {
    const r = await runCli(['full-build'], { cwd: join(work.path, 'main'), env: { DOCKER_CONFIG: loginDockerConfig.path }, timeoutMs: T });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await registryTags(reg.url, fullPath, auth)).toEqual([repo.initialSha, 'latest'].sort());
  }, T);

  it('an unreachable registry: retried with backoff, then a clear error (exit 1); nothing built or tagged', async () => {
    const dir = await variant('unreachable', { registry: `127.0.0.1:${await freePort()}` });
    const sha = await repo.commit('code for unreachable', { write: { 'index.html': '<h1>unreachable</h1>\n' } });
    const r = await cli(dir, ['delta-build'], goodEnv);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/registry 127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/);
    expect(r.stderr).toMatch(/retrying in 250ms \(attempt 2\/4\)/);
    expect(r.stderr).toMatch(/hint: is the registry running\?/);
    await nothingLeft(sha);
  }, T);

  it('a failing dependency install fails delta-build (exit 1) with its output; no container, no tag', async () => {
    const dir = await variant('deps-fail', { depsInstall: 'echo resolving greeting; echo "greeting 9.9 not found" >&2; exit 3' });
    const sha = await repo.commit('deps change', { write: { 'deps.lock': 'greeting 9.9\n' } });
    const r = await cli(dir, ['delta-build'], goodEnv);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/deps \| resolving greeting/);
    expect(r.stderr).toMatch(/dependency install failed \(exit 3\)/);
    expect(r.stderr).toMatch(/\| greeting 9\.9 not found/);
    await nothingLeft(sha);
  }, T);

  it('Ctrl-C in the middle of a delta: exit 130, the build container is removed, nothing tagged', async () => {
    const dir = await variant('interrupt', { depsInstall: 'echo install-started; sleep 60' });
    const sha = await repo.commit('deps change 2', { write: { 'deps.lock': 'greeting 3\n' } });
    const child = execa(process.execPath, ['--import', new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href, `${ROOT}src/cli/bin.ts`, 'delta-build'], {
      cwd: dir,
      env: { CI: 'true', NO_COLOR: '1', DOCKER_CONFIG: emptyDockerConfig.path, ...goodEnv },
      reject: false,
      timeout: T,
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('install-started')) resolve();
      });
      child.then(() => reject(new Error(`exited before the install started:\n${stderr}`)), reject);
    });
    expect(await containersNamed(`deployer-build-${app}-${sha.slice(0, 12)}`)).toHaveLength(1);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT received, stopping and cleaning up/);
    await nothingLeft(sha);
  }, T);

  it('Ctrl-C while gathering facts from a registry that accepts connections and never answers: exit 130, no stack', async () => {
    // A registry that takes the connection and then says nothing: the CLI is stuck in its first
    // registry read (full-build pings it, delta-build reads the :latest manifest) when SIGINT comes.
    const sockets: Socket[] = [];
    let connected: () => void = () => {};
    const silent = createServer((s) => {
      sockets.push(s);
      connected();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const dir = await variant('silent', { registry: `127.0.0.1:${port}` });
      for (const command of ['full-build', 'delta-build']) {
        const child = execa(process.execPath, ['--import', new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href, `${ROOT}src/cli/bin.ts`, command], {
          cwd: dir,
          env: { CI: 'true', NO_COLOR: '1', DOCKER_CONFIG: emptyDockerConfig.path, ...goodEnv },
          reject: false,
          timeout: T,
        });
        await new Promise<void>((resolve, reject) => {
          connected = resolve;
          child.then((r) => reject(new Error(`${command} exited before it reached the registry:\n${r.stderr}`)), reject);
        });
        child.kill('SIGINT');
        const r = await child;
        expect(r.exitCode, r.stderr).toBe(130);
        expect(r.stderr).toMatch(/deployer: interrupted \(SIGINT\)/);
        expect(r.stderr).not.toMatch(/this is a bug|The operation was aborted|\n\s+at /);
      }
      expect(await localTags(`127.0.0.1:${port}/${fullPath}`)).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, T);

  it('the layer budget: a delta past build.maxLayers is refused (exit 4) with a full-build hint', async () => {
    const dir = await variant('layers', { extra: '' });
    const { readFile } = await import('node:fs/promises');
    const path = join(dir, 'deployer.yaml');
    await writeFile(path, (await readFile(path, 'utf8')).replace('appDir: /app', 'appDir: /app\n  maxLayers: 3'));
    const sha = await repo.commit('code for layers', { write: { 'index.html': '<h1>layers</h1>\n' } });
    const r = await cli(dir, ['delta-build'], goodEnv);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/would have 4 layers, more than build.maxLayers \(3\)/);
    expect(r.stderr).toMatch(/hint: run `deployer full-build`/);
    await nothingLeft(sha);
  }, T);

  it('a failing RUN fails full-build (exit 1) naming the step; no tag locally or in the registry', async () => {
    const dockerfile = await repo.git(['show', 'HEAD:Dockerfile']);
    const sha = await repo.commit('broken Dockerfile', { write: { Dockerfile: dockerfile.replace('EXPOSE 8000', 'RUN echo about to fail && false\nEXPOSE 8000') } });
    const r = await cli(join(work.path, 'main'), ['full-build'], goodEnv);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build \| about to fail/);
    expect(r.stderr).toMatch(/failed at Step \d+\/\d+ : RUN echo about to fail && false: The command '\/bin\/sh -c echo about to fail && false' returned a non-zero code: 1/);
    expect(await localTags(full)).not.toContain(`${full}:${sha}`);
    expect(await registryTags(reg.url, fullPath, auth)).toEqual([repo.initialSha, 'latest'].sort());
  }, T);
});
