// gc --images --registry against the real engine and registry: the live image, the rollback target,
// the environment's image, the newest full image and the newest switch.keep survive; the others go,
// from the engine and from the registry with their test records; --plan removes nothing.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryRecordStore } from '../../src/adapters/records-registry.js';
import { fileRecordStore } from '../../src/adapters/records-file.js';
import { registryClient } from '../../src/adapters/registry.js';
import { runCli } from '../support/cli.js';
import { DEPLOY_TEST_LABEL, dockerSchedulerSection, removeAppContainers } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const APP = `gcimg-${process.pid}`;
let registry: Registry;
let repo: GitRepo;
let work: TmpDir;
let delta: string;
let full: string;
const revs: string[] = [];
const refs: string[] = [];
const digests = new Map<string, string>();

const cli = (args: string[]) => runCli(['--config', join(work.path, 'deployer.yaml'), ...args], { cwd: work.path, timeoutMs: 120_000 });

/** A distinct image per ref, pushed; each built in a later second than the one before (ages differ). */
async function buildAndPush(ref: string): Promise<void> {
  const second = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === second) await new Promise((r) => setTimeout(r, 100));
  const dockerfile = `FROM deployer-base/busybox:latest\nRUN mkdir -p /app && echo '${ref}' > /app/index.html\nCMD ["/bin/revision-server"]\n`;
  await execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '-t', ref, '-'], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, input: dockerfile });
  refs.push(ref);
  const out = (await execa('docker', ['push', ref])).stdout;
  digests.set(ref, /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!);
}

const onEngine = async (ref: string) => (await execa('docker', ['image', 'inspect', ref], { reject: false })).exitCode === 0;
const tags = async (repoPath: string) => ((await (await fetch(`${registry.url}/v2/${repoPath}/tags/list`)).json()) as { tags: string[] | null }).tags?.sort() ?? [];
const state = async () => ({
  engine: await Promise.all(refs.map(async (r) => [r, await onEngine(r)])),
  delta: await tags(`gcimg/${APP}`),
  full: await tags(`gcimg/${APP}-full`),
});

beforeAll(async () => {
  registry = await startRegistry();
  work = await tmpDir('deployer-gcimg-');
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  revs.push(repo.initialSha);
  for (let i = 2; i <= 6; i++) revs.push(await repo.commit(`r${i}`, { write: { [`f${i}`]: `${i}\n` } }));
  delta = `${registry.host}/gcimg/${APP}`;
  full = `${delta}-full`;
  for (const i of [0, 2]) await buildAndPush(`${full}:${revs[i]}`);
  for (const r of revs) await buildAndPush(`${delta}:${r}`);
  await buildAndPush(`${full}:${revs[5]}`);
  await execa('docker', ['tag', `${full}:${revs[5]}`, `${full}:latest`]);
  refs.push(`${full}:latest`);
  await execa('docker', ['push', `${full}:latest`]);

  // r3 is live, r2 the rollback target (the switch history); r4 has a test record in the registry.
  const lb = join(work.path, 'lb');
  await mkdir(join(lb, APP), { recursive: true });
  const entry = (from: string | null, to: string, at: string) => JSON.stringify({ at, by: 'ci', action: 'switch', from, to, hosts: ['local'], planHash: '0'.repeat(64) });
  await writeFile(join(lb, APP, 'history.jsonl'), `${entry(null, revs[1]!, '2026-01-01T00:00:00.000Z')}\n${entry(revs[1]!, revs[2]!, '2026-01-02T00:00:00.000Z')}\n`);
  const client = registryClient({ host: registry.host, credentials: async () => undefined });
  await registryRecordStore(async () => client, fileRecordStore(join(work.path, 'records-cache')), { host: registry.host }).put({
    imageId: 'sha256:unused', image: `${delta}@${digests.get(`${delta}:${revs[3]}`)}`, revision: revs[3]!, passedAt: new Date().toISOString(), by: 'ci',
    junit: { tests: 1, failures: 0, errors: 0, skipped: 0 }, digest: digests.get(`${delta}:${revs[3]}`)!, repository: delta,
  });

  await writeFile(join(work.path, 'deployer.yaml'), [
    `app: ${APP}`,
    `registry: { host: "${registry.host}" }`,
    `images: { full: gcimg/${APP}-full, delta: gcimg/${APP} }`,
    `build: { context: ${JSON.stringify(repo.dir)}, appDir: /app }`,
    ...dockerSchedulerSection(1),
    'switch:',
    '  upstream: backend',
    `  file: ${join(work.path, 'backend.conf')}`,
    '  test: ["/bin/true"]',
    '  reload: ["/bin/true"]',
    '  verify: { url: "http://127.0.0.1:9/" }',
    `  stateDir: ${lb}`,
    '  keep: 2',
  ].join('\n'));
  const d = await cli(['deploy', revs[0]!]);
  expect(d.exitCode, d.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await removeAppContainers(APP);
  if (refs.length) await execa('docker', ['rmi', '-f', ...refs], { reject: false });
  await registry?.close();
  await repo?.close();
  await work?.cleanup();
});

describe('deployer gc --images --registry', () => {
  const sha = (i: number) => revs[i]!;

  it('--plan lists every image with its size and why it goes or stays, and removes nothing', async () => {
    const before = await state();
    expect(before.delta).toContain(`${digests.get(`${delta}:${sha(3)}`)!.replace(':', '-')}.att`);
    const r = await cli(['gc', '--images', '--registry', '--plan', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const images = (JSON.parse(r.stdout) as { facts: { images: { where: string; name: string; size: number; remove: boolean; why: string }[] } }).facts.images;
    const verdict = (where: string, ref: string) => images.find((i) => i.where === where && i.name === ref);
    for (const where of ['engine', 'registry']) {
      expect(verdict(where, `${delta}:${sha(0)}`)).toMatchObject({ remove: false, why: `used by the environment of ${sha(0).slice(0, 12)}` });
      expect(verdict(where, `${delta}:${sha(1)}`)).toMatchObject({ remove: false, why: 'rollback target' });
      expect(verdict(where, `${delta}:${sha(2)}`)).toMatchObject({ remove: false, why: 'live' });
      expect(verdict(where, `${delta}:${sha(3)}`)).toMatchObject({ remove: true });
      expect(verdict(where, `${delta}:${sha(4)}`)).toMatchObject({ remove: false, why: 'one of the newest 2' });
      expect(verdict(where, `${delta}:${sha(5)}`)).toMatchObject({ remove: false, why: 'one of the newest 2' });
      expect(verdict(where, `${full}:${sha(0)}`)).toMatchObject({ remove: true });
    }
    expect(images.every((i) => i.size > 0)).toBe(true);
    const text = await cli(['gc', '--images', '--registry', '--plan']);
    expect(text.stdout).toMatch(/remove .*:[0-9a-f]{40} \(\d+(\.\d)? (B|KiB|MiB)\) from the engine/);
    expect(text.stdout).toContain('with its test record');
    expect(text.stdout).toContain("registry's own garbage collection");
    expect(await state()).toEqual(before);
  }, 120_000);

  it('applied: the protected images survive, the others go, from the engine and the registry with their records', async () => {
    const r = await cli(['gc', '--images', '--registry']);
    expect(r.exitCode, r.stderr).toBe(0);
    for (const i of [0, 1, 2, 4, 5]) expect(await onEngine(`${delta}:${sha(i)}`)).toBe(true);
    expect(await onEngine(`${delta}:${sha(3)}`)).toBe(false);
    expect(await onEngine(`${full}:${sha(0)}`)).toBe(false);
    expect(await onEngine(`${full}:${sha(2)}`)).toBe(true);
    expect(await onEngine(`${full}:latest`)).toBe(true);
    expect(await tags(`gcimg/${APP}`)).toEqual([0, 1, 2, 4, 5].map(sha).sort());
    expect(await tags(`gcimg/${APP}-full`)).toEqual([sha(2), sha(5), 'latest'].sort());
    const again = await cli(['gc', '--images', '--registry', '--plan']);
    expect(again.stdout).toContain('nothing to remove');
  }, 120_000);
});
