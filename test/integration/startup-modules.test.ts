import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateBuild } from '../support/cli.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';

// Which npm packages a command loads, read through a module resolve hook on the built CLI
// (bin/deployer, as users run it). dockerode and ssh2 cost more start-up than most commands take.
// The build goes to a private copy (privateBuild), never over dist/.
let build: Awaited<ReturnType<typeof privateBuild>>;

const HOOK = `data:text/javascript,${encodeURIComponent(`
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  const m = r.url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/);
  if (m) process.stderr.write('LOADED ' + m[1] + '\\n');
  return r;
}`)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(HOOK)});`)}`;

async function packagesLoaded(args: string[], cwd: string): Promise<string[]> {
  const r = await execa(process.execPath, ['--import', REGISTER, build.bin, ...args], { cwd, reject: false, env: { CI: 'true', NO_COLOR: '1' } });
  expect(r.exitCode, r.stderr).toBe(0);
  return [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7)))].sort();
}

let repo: GitRepo;
let dir: string;

beforeAll(async () => {
  build = await privateBuild('startup');
  repo = await makeGitRepo({ 'a.txt': 'a\n' });
  await repo.commit('b', { write: { 'a.txt': 'b\n' } });
  dir = await mkdtemp(join(tmpdir(), 'deployer-startup-'));
  await writeFile(join(dir, 'deployer.yaml'), `app: tiny\nimages: { full: t-full, delta: t }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`);
  await writeFile(join(dir, 'status.yaml'), `app: tiny-${process.pid}\nimages: { full: t-full, delta: t }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`
    + `deploy: { scheduler: docker, port: 8000 }\nstate: { dir: ${JSON.stringify(join(dir, 'state'))} }\n`);
}, 120_000);

afterAll(async () => {
  await repo?.close();
  await build?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('start-up loads only what a command uses', () => {
  it('--help loads commander and nothing heavy', async () => {
    const loaded = await packagesLoaded(['--help'], dir);
    expect(loaded).toContain('commander');
    for (const heavy of ['dockerode', 'ssh2', 'execa', 'ora', 'zod', 'yaml', 'tar-stream']) expect(loaded).not.toContain(heavy);
  });

  it('changes loads git (execa) and the config parser, never docker or ssh', async () => {
    const loaded = await packagesLoaded(['changes', 'HEAD~1', 'HEAD'], dir);
    expect(loaded).toEqual(expect.arrayContaining(['execa', 'zod', 'yaml']));
    for (const heavy of ['dockerode', 'ssh2', 'tar-stream', 'docker-modem']) expect(loaded).not.toContain(heavy);
  });

  it('status lists the docker environments over the engine socket: no dockerode, ssh2 or execa', async () => {
    const loaded = await packagesLoaded(['--config', 'status.yaml', 'status'], dir);
    for (const heavy of ['dockerode', 'docker-modem', 'ssh2', 'execa', 'ora', 'tar-stream', 'eventsource-parser']) expect(loaded).not.toContain(heavy);
  });
});
