import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateBuild } from '../support/cli.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { startRegistry, type Registry } from '../support/registry.js';

// Which npm packages a command loads, read through a module resolve hook on the built CLI
// (bin/deployer, as users run it). dockerode and ssh2 cost more start-up than most commands take.
// The build goes to a private copy (privateBuild), never over dist/.
let build: Awaited<ReturnType<typeof privateBuild>>;

const HOOK = `data:text/javascript,${encodeURIComponent(`
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = r.url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/);
  if (m) process.stderr.write('LOADED ' + m[1] + '\\n');
  else if (r.url.includes('/dist/')) process.stderr.write('OWN ' + r.url.replace(/.*\\/dist\\//, '') + '\\n');
  return r;
}`)}`;
// fetch() is counted too: its first call compiles undici's WebAssembly HTTP parser (~20 MiB).
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(HOOK)});
const realFetch = globalThis.fetch;
globalThis.fetch = (...a) => { process.stderr.write('FETCH\\n'); return realFetch(...a); };`)}`;

async function modulesLoaded(args: string[], cwd: string): Promise<{ packages: string[]; own: string[]; fetches: number }> {
  const r = await execa(process.execPath, ['--import', REGISTER, build.bin, ...args], { cwd, reject: false, env: { CI: 'true', NO_COLOR: '1' } });
  expect(r.exitCode, r.stderr).toBe(0);
  const lines = (prefix: string) => [...new Set(r.stderr.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)))].sort();
  return { packages: lines('LOADED '), own: lines('OWN '), fetches: r.stderr.split('\n').filter((l) => l === 'FETCH').length };
}
const packagesLoaded = async (args: string[], cwd: string) => (await modulesLoaded(args, cwd)).packages;

let repo: GitRepo;
let dir: string;
let registry: Registry;

beforeAll(async () => {
  build = await privateBuild('startup');
  registry = await startRegistry();
  repo = await makeGitRepo({ 'a.txt': 'a\n', Dockerfile: 'FROM deployer-base/busybox:latest\nWORKDIR /app\nCOPY . .\n' });
  await repo.commit('b', { write: { 'a.txt': 'b\n' } });
  dir = await mkdtemp(join(tmpdir(), 'deployer-startup-'));
  await writeFile(join(dir, 'deployer.yaml'), `app: tiny\nimages: { full: t-full, delta: t }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`);
  await writeFile(join(dir, 'status.yaml'), `app: tiny-${process.pid}\nimages: { full: t-full, delta: t }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`
    + `deploy: { scheduler: docker, port: 8000 }\nstate: { dir: ${JSON.stringify(join(dir, 'state'))} }\n`);
  await writeFile(join(dir, 'build.yaml'), `app: startup\nregistry: { host: "${registry.host}" }\n`
    + `images: { full: deployer-test/startup-${process.pid}-full, delta: deployer-test/startup-${process.pid} }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`);
}, 120_000);

afterAll(async () => {
  await registry?.close();
  await execa('sh', ['-c', `docker images -q 'deployer-test/startup-${process.pid}*' '${registry?.host}/deployer-test/startup-${process.pid}*' | sort -u | xargs -r docker rmi -f`], { reject: false });
  await repo?.close();
  await build?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('start-up loads only what a command uses', () => {
  it('--help loads commander and the command definitions only: no planner, view, executor or adapter', async () => {
    const { packages, own } = await modulesLoaded(['--help'], dir);
    expect(packages).toEqual(['commander']);
    expect(own).toContain('cli/program.js');
    expect(own.filter((m) => !/^cli\/(main|program|commands\/[\w-]+)\.js$|^core\/(errors|version)\.js$/.test(m))).toEqual([]);
  });

  it('changes loads the config parser and starts git itself (no execa), never docker or ssh', async () => {
    const { packages, own } = await modulesLoaded(['changes', 'HEAD~1', 'HEAD'], dir);
    expect(packages).toEqual(expect.arrayContaining(['zod', 'yaml']));
    for (const heavy of ['execa', 'dockerode', 'ssh2', 'tar-stream', 'docker-modem', 'ora']) expect(packages).not.toContain(heavy);
    expect(own.filter((m) => /^(planners|cli\/actions|cli\/views)\//.test(m) && !/changes/.test(m))).toEqual([]);
  });

  it('full-build and delta-build speak to the local engine and the registry without dockerode, ssh2 or fetch', async () => {
    const full = await modulesLoaded(['--config', 'build.yaml', 'full-build'], dir);
    await repo.commit('c', { write: { 'a.txt': 'c\n' } });
    const delta = await modulesLoaded(['--config', 'build.yaml', 'delta-build'], dir);
    for (const run of [full, delta]) {
      for (const heavy of ['dockerode', 'docker-modem', 'ssh2', 'execa', 'ora']) expect(run.packages).not.toContain(heavy);
      expect(run.fetches).toBe(0);
    }
    expect(delta.packages).toContain('tar-stream');
  }, 120_000);

  it('status lists the docker environments over the engine socket: no dockerode, ssh2 or execa', async () => {
    const loaded = await packagesLoaded(['--config', 'status.yaml', 'status'], dir);
    for (const heavy of ['dockerode', 'docker-modem', 'ssh2', 'execa', 'ora', 'tar-stream', 'eventsource-parser']) expect(loaded).not.toContain(heavy);
  });
});
