// Only tested bytes go live, from any machine (README "Test records"): against a real registry with
// htpasswd, test-image in one checkout, switch from a second clone with an empty state dir and the
// image gone from the engine; a tag pushed again after testing never goes live; the Marathon
// stand-in gets `image@sha256:`; the docker scheduler's containers run the tested image id.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { DEPLOY_TEST_LABEL, dockerSchedulerSection, removeAppContainers } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import type { Nginx } from '../support/nginx.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { startLbNginx, switchSection } from '../support/switch-world.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const APP = `prov-${process.pid}`;
const AUTH = { user: 'ci', password: `pw-${process.pid}-s3cret` };
const ENV = { DEPLOYER_REGISTRY_USER: AUTH.user, DEPLOYER_REGISTRY_PASSWORD: AUTH.password };
let registry: Registry;
let nginx: Nginx;
let repo: GitRepo;
let work: TmpDir;
let dockerConfig: string;
let delta: string;
const revs: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };
const pushedRefs: string[] = [];
let testedB = '';

const one = (name: 'one' | 'two') => join(work.path, name);
const cli = (where: 'one' | 'two', args: string[], config = 'deployer.yaml') =>
  runCli(['--config', join(one(where), config), ...args], { cwd: one(where), env: ENV, timeoutMs: 120_000 });
const docker = (args: string[]) => execa('docker', ['--config', dockerConfig, ...args]);

/** Builds an image whose / answers `body`, tags it `ref` and pushes it; returns the pushed digest. */
async function pushImage(ref: string, body: string): Promise<string> {
  const dockerfile = `FROM deployer-base/busybox:latest\nRUN mkdir -p /app && echo '${body}' > /app/index.html\nCMD ["/bin/revision-server"]\n`;
  await execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '-t', ref, '-'], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, input: dockerfile });
  pushedRefs.push(ref);
  const out = (await docker(['push', ref])).stdout;
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
  // A tag pushed again leaves the earlier image with only its digest name: removed by that in afterAll.
  pushedRefs.push(`${delta}@${digest}`);
  return digest;
}

const imageId = async (ref: string) => (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim();
const container = async (rev: string) => {
  const out = (await execa('docker', ['inspect', `${APP}-${rev.slice(0, 12)}-0`])).stdout;
  return (JSON.parse(out) as { Image: string; Config: { Image: string; Labels: Record<string, string> } }[])[0]!;
};
const served = async () => {
  const r = await httpGet(`http://127.0.0.1:${nginx.port}/`);
  return { revision: r.headers['x-revision'], body: r.body.trim() };
};
/** The registry's API as a cosign client would read it (basic auth). */
async function registryGet(path: string, accept?: string): Promise<Response> {
  const authorization = `Basic ${Buffer.from(`${AUTH.user}:${AUTH.password}`).toString('base64')}`;
  return fetch(`${registry.url}${path}`, { headers: { authorization, ...(accept ? { accept } : {}) } });
}

function config(stateDir: string, context: string, scheduler: string[]): string {
  return [
    `app: ${APP}`,
    `registry: { host: "${registry.host}" }`,
    `images: { full: prov/${APP}-full, delta: prov/${APP} }`,
    `build: { context: ${JSON.stringify(context)}, appDir: /app }`,
    'test: { command: "grep -q tested /app/index.html", timeoutSeconds: 60 }',
    ...scheduler,
    `state: { dir: ${JSON.stringify(stateDir)} }`,
    ...switchSection(nginx, join(work.path, 'lb-state')),
  ].join('\n');
}

const DOCKER_SCHEDULER = dockerSchedulerSection(1);

beforeAll(async () => {
  registry = await startRegistry({ htpasswd: AUTH });
  nginx = await startLbNginx();
  work = await tmpDir('deployer-prov-');
  dockerConfig = join(work.path, 'docker-config');
  await mkdir(dockerConfig);
  await execa('docker', ['--config', dockerConfig, 'login', '-u', AUTH.user, '--password-stdin', registry.host], { input: AUTH.password });
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  revs.A = repo.initialSha;
  revs.B = await repo.commit('b', { write: { 'b.txt': 'b\n' } });
  revs.C = await repo.commit('c', { write: { 'c.txt': 'c\n' } });
  delta = `${registry.host}/prov/${APP}`;
  await mkdir(one('one'));
  await execa('git', ['clone', '-q', repo.dir, join(one('two'), 'repo')], { env: repo.env });
  await writeFile(join(one('one'), 'deployer.yaml'), config(join(one('one'), '.deployer'), repo.dir, DOCKER_SCHEDULER));
  await writeFile(join(one('two'), 'deployer.yaml'), config(join(one('two'), '.deployer'), join(one('two'), 'repo'), DOCKER_SCHEDULER));
}, 120_000);

afterAll(async () => {
  await removeAppContainers(APP);
  if (pushedRefs.length) await execa('docker', ['rmi', '-f', ...new Set(pushedRefs)], { reject: false });
  await nginx?.close();
  await registry?.close();
  await repo?.close();
  await work?.cleanup();
});

describe('test records in the registry, environments pinned by digest', () => {
  let digestA = '';

  it('test-image records the pass beside the image: the sha256-<digest>.att tag, a DSSE envelope with an in-toto statement', async () => {
    digestA = await pushImage(`${delta}:${revs.A}`, 'A tested');
    const r = await cli('one', ['test-image', revs.A, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { image: string; digest: string; recorded: boolean; imageId: string };
    expect(out).toMatchObject({ image: `${delta}@${digestA}`, digest: digestA, recorded: true, imageId: await imageId(`${delta}:${revs.A}`) });

    const tag = `${digestA.replace(':', '-')}.att`;
    const tags = (await (await registryGet(`/v2/prov/${APP}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual([revs.A, tag].sort());
    const manifest = (await (await registryGet(`/v2/prov/${APP}/manifests/${tag}`, 'application/vnd.oci.image.manifest.v1+json')).json()) as { mediaType: string; layers: { mediaType: string; digest: string; annotations: Record<string, string> }[] };
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]).toMatchObject({ mediaType: 'application/vnd.dsse.envelope.v1+json', annotations: { predicateType: 'urn:deployer:test-result:v1' } });
    const envelope = (await (await registryGet(`/v2/prov/${APP}/blobs/${manifest.layers[0]!.digest}`)).json()) as { payloadType: string; payload: string; signatures: unknown[] };
    expect(envelope).toMatchObject({ payloadType: 'application/vnd.in-toto+json', signatures: [] });
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
    expect(statement).toMatchObject({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: delta, digest: { sha256: digestA.slice('sha256:'.length) } }],
      predicateType: 'urn:deployer:test-result:v1',
      predicate: { revision: revs.A, digest: digestA, imageId: out.imageId, suite: { command: 'grep -q tested /app/index.html' }, junit: { failures: 0, errors: 0 }, deployer: '0.1.0' },
    });
    // The local copy is a cache, by image id and by digest.
    expect((await readdir(join(one('one'), '.deployer', 'test-records', 'by-digest')))).toEqual([`${digestA.replace(':', '-')}.json`]);
  });

  it('deploy runs <repo>@sha256:… labelled with the digest; the container runs the tested image id', async () => {
    const r = await cli('one', ['deploy', revs.A]);
    expect(r.exitCode, r.stderr).toBe(0);
    const c = await container(revs.A);
    expect(c.Config.Image).toBe(`${delta}@${digestA}`);
    expect(c.Config.Labels['deployer.image-digest']).toBe(digestA);
    expect(c.Image).toBe(await imageId(`${delta}:${revs.A}`));
  }, 60_000);

  it('switch from a second clone with an empty state dir and the image gone from the engine: exit 0, no --force', async () => {
    expect(await readdir(one('two'))).toEqual(['deployer.yaml', 'repo']);
    await execa('docker', ['rmi', '-f', `${delta}:${revs.A}`, `${delta}@${digestA}`]);
    expect((await execa('docker', ['image', 'inspect', `${delta}:${revs.A}`], { reject: false })).exitCode).not.toBe(0);
    const plan = await cli('two', ['switch', revs.A, '--plan', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { facts: { digest: string; tested: { digest: string } } }).facts).toMatchObject({ digest: digestA, tested: { digest: digestA } });
    const r = await cli('two', ['switch', revs.A]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await served()).toEqual({ revision: revs.A, body: 'A tested' });

    const st = await cli('two', ['status', '--json']);
    expect(st.exitCode, st.stderr).toBe(0);
    const envs = (JSON.parse(st.stdout) as { environments: { revision: string; digest: string; tested: { passed: boolean; by: string } }[] }).environments;
    expect(envs.find((e) => e.revision === revs.A)).toMatchObject({ digest: digestA, tested: { passed: true, by: expect.any(String) } });
    expect((await cli('two', ['status'])).stdout).toContain(`digest ${digestA.slice(7, 19)}  tested: passed`);
  }, 90_000);

  it('a tag pushed again after testing: deploy runs the tested digest, and production never serves the moved bytes', async () => {
    const ref = `${delta}:${revs.B}`;
    const tested = await pushImage(ref, 'B tested');
    testedB = tested;
    const t = await cli('one', ['test-image', revs.B]);
    expect(t.exitCode, t.stderr).toBe(0);
    const testedId = await imageId(ref);
    const moved = await pushImage(ref, 'B moved, never tested');
    expect(moved).not.toBe(tested);

    const plan = await cli('two', ['deploy', revs.B, '--plan', '--json']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    const p = JSON.parse(plan.stdout) as { facts: { image: string; digest: string; tagDigest: string }; notes: string[] };
    expect(p.facts).toMatchObject({ image: `${delta}@${tested}`, digest: tested, tagDigest: moved });
    expect(p.notes.join('\n')).toContain(`${ref} names ${moved} now, but ${tested} is the digest that passed test-image`);

    const d = await cli('two', ['deploy', revs.B]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect((await container(revs.B)).Image).toBe(testedId);
    const s = await cli('two', ['switch', revs.B]);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(await served()).toEqual({ revision: revs.B, body: 'B tested' });
  }, 120_000);

  it('an environment of bytes pushed before the tag moved and was tested: switch refuses, naming both digests', async () => {
    const ref = `${delta}:${revs.C}`;
    const deployed = await pushImage(ref, 'C first push, tested nowhere');
    const d = await cli('one', ['deploy', revs.C]);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stderr + d.stdout).toContain('has no passing test record yet');
    const tested = await pushImage(ref, 'C tested');
    const t = await cli('one', ['test-image', revs.C]);
    expect(t.exitCode, t.stderr).toBe(0);
    const s = await cli('two', ['switch', revs.C]);
    expect(s.exitCode).toBe(4);
    expect(s.stderr).toContain(`the environment runs ${deployed}, but the digest that passed test-image for ${revs.C.slice(0, 12)} is ${tested}`);
    expect(s.stderr).toContain(`deployer destroy ${revs.C.slice(0, 12)}`);
    expect(await served()).toEqual({ revision: revs.B, body: 'B tested' });
  }, 120_000);

  describe('marathon scheduler', () => {
    let marathon: MarathonStandin;
    beforeAll(async () => {
      marathon = await startMarathonStandin({ version: '1.10.0' });
      await writeFile(join(one('two'), 'marathon.yaml'), config(join(one('two'), '.deployer'), join(one('two'), 'repo'), [
        'deploy:',
        '  scheduler: marathon',
        '  instances: 1',
        '  port: 8000',
        '  healthCheck: { path: /, intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 }',
        '  timeoutSeconds: 60',
        `  marathon: { url: ${JSON.stringify(marathon.url)}, appPrefix: /${APP}-m, cpus: 0.1, mem: 32 }`,
      ]));
    });
    afterAll(async () => {
      await cli('two', ['destroy', revs.B], 'marathon.yaml').catch(() => undefined);
      await marathon?.close();
    });

    it('the app definition names image@sha256: (the tested digest), labelled with it', async () => {
      const r = await cli('two', ['deploy', revs.B], 'marathon.yaml');
      expect(r.exitCode, r.stderr).toBe(0);
      const put = marathon.requests.find((q) => q.method === 'PUT' && q.path.startsWith(`/v2/apps/${APP}-m/`));
      const def = put?.body as { container: { docker: { image: string } }; labels: Record<string, string> };
      expect(def.container.docker.image).toMatch(new RegExp(`^${delta.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
      expect(def.labels['deployer.image-digest']).toBe(testedB);
      expect(def.container.docker.image).toBe(`${delta}@${testedB}`);
    }, 120_000);
  });
});
