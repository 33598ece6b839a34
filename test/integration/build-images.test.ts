// The images adapter and the build handlers against the real engine and a real registry (Debian's
// docker-registry, with and without htpasswd): registry lookups, push/pull byte counts and retries,
// and the rule that nothing is left half-tagged when a push fails.
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/adapters/docker/engine.js';
import { dockerImages } from '../../src/adapters/docker/images.js';
import type { RegistryCredentials } from '../../src/adapters/docker/registry-auth.js';
import { PreconditionError, StepFailedError } from '../../src/core/errors.js';
import { makePlan } from '../../src/core/plan.js';
import { sensitive } from '../../src/core/sensitive.js';
import type { BuildStep } from '../../src/core/steps/build.js';
import { execute } from '../../src/exec/executor.js';
import { handlers } from '../../src/exec/handlers/index.js';
import type { Ports } from '../../src/ports/index.js';
import { silentLog, type Log } from '../../src/ports/log.js';
import { localTags, removeRepositories, uniqueName } from '../support/build.js';
import { freePort } from '../support/ports.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { localEngine } from '../support/engine.js';

const T = 120_000;
const BASE = 'deployer-base/busybox:latest';
const docker = new Docker();
const api = localEngine();
const engine = dockerEngine(api);
const name = uniqueName('img');
let open: Registry;
let locked: Registry;
const made: string[] = [];
const fast = { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 };

const creds = (user: string, password: string) => async (): Promise<RegistryCredentials> => ({ username: user, password: sensitive(password), source: 'test' });

function recordingLog(): Log & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...silentLog, warnings, warn: (m) => warnings.push(m) };
}

async function commitImage(repo: string, content: string): Promise<string> {
  const c = await docker.createContainer({ Image: BASE, Entrypoint: ['sh', '-c', `echo ${content} > /app/content.txt`], Cmd: [] });
  try {
    await c.start();
    await c.wait();
    const { Id } = (await c.commit({ repo, tag: content })) as { Id: string };
    made.push(`${repo}:${content}`);
    return Id;
  } finally {
    await c.remove({ force: true });
  }
}

function portsWith(images: Ports['images']): Ports {
  return { docker: engine, images, log: silentLog } as unknown as Ports;
}

beforeAll(async () => {
  [open, locked] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user: 'ci', password: 'pw' } })]);
}, T);

afterAll(async () => {
  await execa('docker', ['rmi', '-f', ...made], { reject: false });
  await removeRepositories(...[open, locked].filter(Boolean).map((r) => `${r.host}/deployer-test/${name}`), `deployer-test/${name}`);
  await Promise.all([open?.close(), locked?.close()]);
}, T);

describe('registry lookups', () => {
  it('reads what a pushed tag is: id equal to the local image id, labels, layers; a missing tag is undefined', async () => {
    const repo = `${locked.host}/deployer-test/${name}`;
    const id = await commitImage(repo, 'lookup');
    const images = dockerImages(api, { registry: locked.host, credentials: creds('ci', 'pw'), retry: fast });
    const pushed = await images.push(`${repo}:lookup`, { signal: new AbortController().signal });
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed.layersPushed).toBeGreaterThanOrEqual(1);
    expect(pushed.bytesPushed).toBeGreaterThan(0);
    const remote = await images.remote(`${repo}:lookup`);
    expect(remote).toMatchObject({ id, digest: pushed.digest, layers: 2, labels: { 'deployer.base-hash': expect.any(String) } });
    expect(remote!.config.Cmd).toEqual([]);
    expect(await images.remote(`${repo}:missing`)).toBeUndefined();
    await images.registryAccess();
    // A second push of the same layers uploads nothing new.
    const again = await images.push(`${repo}:lookup`, { signal: new AbortController().signal });
    expect(again).toMatchObject({ layersPushed: 0, bytesPushed: 0 });
    expect(again.layersExisting).toBeGreaterThanOrEqual(2);
  }, T);

  it('refuses wrong or missing credentials with a PreconditionError, and never retries a 401', async () => {
    const log = recordingLog();
    const wrong = dockerImages(api, { registry: locked.host, credentials: creds('ci', 'nope'), retry: fast, log });
    await expect(wrong.registryAccess()).rejects.toThrow(PreconditionError);
    await expect(wrong.remote(`${locked.host}/x:y`)).rejects.toThrow(/refused the credentials of ci/);
    const none = dockerImages(api, { registry: locked.host, credentials: async () => undefined, retry: fast, log });
    await expect(none.registryAccess()).rejects.toThrow(/requires credentials/);
    expect(log.warnings).toEqual([]);
  }, T);

  it('retries an unreachable registry with backoff, then fails with StepFailedError', async () => {
    const log = recordingLog();
    const host = `127.0.0.1:${await freePort()}`;
    const images = dockerImages(api, { registry: host, credentials: async () => undefined, retry: fast, log });
    const e = await images.remote(`${host}/x:y`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailedError);
    expect((e as StepFailedError).message).toMatch(/is unreachable: ECONNREFUSED .*\(3 attempts\)/);
    expect(log.warnings).toHaveLength(2);
  }, T);

  it('without a registry, lookups answer undefined and touch nothing', async () => {
    const images = dockerImages(api, { registry: undefined, credentials: async () => { throw new Error('must not be read'); } });
    await images.registryAccess();
    expect(await images.remote('anything:latest')).toBeUndefined();
  });
});

describe('nothing half-tagged', () => {
  const run = (steps: BuildStep[], images: Ports['images']) =>
    execute(makePlan('test', 'test', {}, steps), handlers, { config: {} as never, ports: portsWith(images), signal: new AbortController().signal });

  it('a push the registry refuses removes the tag this run made (push retried never on auth)', async () => {
    const repo = `${locked.host}/deployer-test/${name}`;
    const source = await commitImage(`deployer-test/${name}`, 'src1');
    const log = recordingLog();
    const images = dockerImages(api, { registry: locked.host, credentials: creds('ci', 'wrong'), retry: fast, log });
    const target = `${repo}:refused`;
    const e = await run([
      { id: 'tag', kind: 'build.tag', title: 't', source, target, provisional: true },
      { id: 'push', kind: 'build.push', title: 'p', ref: target },
    ], images).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailedError);
    expect((e as StepFailedError).code).toBe('registry.auth');
    expect((e as StepFailedError).message).toMatch(/the registry refused the credentials of ci/);
    expect(log.warnings).toEqual([]);
    expect(await localTags(repo)).not.toContain(target);
  }, T);

  it('a push to an unreachable registry restores the tag to the image it named before', async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const repo = `${host}/deployer-test/${name}`;
    const before = await commitImage(`deployer-test/${name}`, 'before');
    const after = await commitImage(`deployer-test/${name}`, 'after');
    const target = `${repo}:latest`;
    await engine.tagImage(before, target);
    made.push(target);
    const images = dockerImages(api, { registry: host, credentials: async () => undefined, retry: fast });
    const e = await run([
      { id: 'tag', kind: 'build.tag', title: 't', source: after, target, provisional: true, previousId: before },
      { id: 'push', kind: 'build.push', title: 'p', ref: target },
    ], images).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailedError);
    expect((e as StepFailedError).code).toBe('registry.unreachable');
    expect((await engine.imageInfo(target))?.id).toBe(before);
    await execa('docker', ['rmi', target], { reject: false });
  }, T);

  it('a pushed tag stays', async () => {
    const repo = `${open.host}/deployer-test/${name}`;
    const source = await commitImage(`deployer-test/${name}`, 'src2');
    const images = dockerImages(api, { registry: open.host, credentials: async () => undefined, retry: fast });
    const target = `${repo}:kept`;
    await run([
      { id: 'tag', kind: 'build.tag', title: 't', source, target, provisional: true },
      { id: 'push', kind: 'build.push', title: 'p', ref: target },
    ], images);
    expect(await localTags(repo)).toContain(target);
    expect((await images.remote(target))?.id).toBe(source);
  }, T);
});

describe('delta steps on an image with a non-root USER', () => {
  it('deletes root-owned files (as COPY writes them) and runs the install as the image user', async () => {
    const repo = `deployer-test/${name}`;
    // Root-owned /app/old.txt, then USER nobody, like `COPY . /app` followed by `USER app`.
    const c0 = await docker.createContainer({ Image: BASE, Entrypoint: ['sh', '-c', 'echo old > /app/old.txt && mkdir -p /app/deps'], Cmd: [] });
    await c0.start();
    await c0.wait();
    await c0.commit({ _query: { container: c0.id, repo, tag: 'user' }, _body: { User: '65534', Cmd: ['/bin/sh'] } } as object);
    await c0.remove({ force: true });
    made.push(`${repo}:user`);
    const container = `deployer-build-${name}-user`;
    const steps: BuildStep[] = [
      { id: 'c', kind: 'build.container', title: 'c', name: container, image: `${repo}:user`, command: { entrypoint: ['sleep', '2147483647'], cmd: [] }, start: true },
      { id: 'd', kind: 'build.delete', title: 'd', container, paths: ['/app/old.txt'], dirs: [] },
      { id: 'i', kind: 'build.deps', title: 'i', container, depsDir: '/app/deps', command: ['sh', '-c', 'id -u > /tmp/installed-by'], workingDir: '/app' },
      { id: 'm', kind: 'build.commit', title: 'm', container, ref: `${repo}:user-delta`, config: { Cmd: ['/bin/sh'], Entrypoint: null, Env: [], ExposedPorts: {}, WorkingDir: '', User: '65534', Labels: {} }, baseLayers: 2, provisional: false },
    ];
    made.push(`${repo}:user-delta`);
    await execute(makePlan('test', 'test', {}, steps), handlers, { config: {} as never, ports: portsWith(dockerImages(api, { registry: undefined, credentials: async () => undefined })), signal: new AbortController().signal });
    const out = await execa('docker', ['run', '--rm', '--entrypoint', 'sh', `${repo}:user-delta`, '-c', 'ls /app; cat /tmp/installed-by; id -u']);
    expect(out.stdout.split('\n')).toEqual(['65534', '65534']);
    expect(await engine.inspectContainer(container)).toBeUndefined();
  }, T);
});


describe('delta deletions on an image without rmdir', () => {
  /** A base made from busybox with the rmdir applet link removed, holding the given shell setup. */
  async function baseWithout(tag: string, setup: string): Promise<string> {
    const repo = `deployer-test/${name}`;
    const c0 = await docker.createContainer({ Image: BASE, Entrypoint: ['sh', '-c', `rm /bin/rmdir && ${setup}`], Cmd: [] });
    await c0.start();
    await c0.wait();
    await c0.commit({ _query: { container: c0.id, repo, tag }, _body: { Cmd: ['/bin/sh'] } } as object);
    await c0.remove({ force: true });
    made.push(`${repo}:${tag}`);
    return `${repo}:${tag}`;
  }

  const deleteAndCommit = async (image: string, tag: string, paths: string[], dirs: string[]) => {
    const repo = `deployer-test/${name}`;
    const container = `deployer-build-${name}-${tag}`;
    const steps: BuildStep[] = [
      { id: 'c', kind: 'build.container', title: 'c', name: container, image, command: { entrypoint: ['sleep', '2147483647'], cmd: [] }, start: true },
      { id: 'd', kind: 'build.delete', title: 'd', container, paths, dirs },
      { id: 'm', kind: 'build.commit', title: 'm', container, ref: `${repo}:${tag}`, config: { Cmd: ['/bin/sh'], Entrypoint: null, Env: [], ExposedPorts: {}, WorkingDir: '', User: '', Labels: {} }, baseLayers: 2, provisional: false },
    ];
    made.push(`${repo}:${tag}`);
    await execute(makePlan('test', 'test', {}, steps), handlers, { config: {} as never, ports: portsWith(dockerImages(api, { registry: undefined, credentials: async () => undefined })), signal: new AbortController().signal });
    return `${repo}:${tag}`;
  };

  it('removes a directory that lost its last file, keeps one with other content, and the image really lacks rmdir', async () => {
    const base = await baseWithout('normdir', 'mkdir -p /app/gone/deeper /app/keep && echo x > /app/gone/deeper/x && echo a > /app/keep/a && echo log > /app/keep/log');
    expect((await execa('docker', ['run', '--rm', '--entrypoint', 'rmdir', base, '/app'], { reject: false })).exitCode).not.toBe(0);
    const delta = await deleteAndCommit(base, 'normdir-delta', ['/app/gone/deeper/x', '/app/keep/a'], ['/app/gone/deeper', '/app/gone', '/app/keep']);
    const out = await execa('docker', ['run', '--rm', '--entrypoint', 'sh', delta, '-c', 'cd /app && find . | sort']);
    expect(out.stdout.split('\n')).toEqual(['.', './keep', './keep/log']);
  }, T);

  it('a deletion that fails inside the container fails the step (exit status checked), nothing committed', async () => {
    const base = await baseWithout('norm', 'echo x > /app/x && busybox rm /bin/rm');
    const e = await deleteAndCommit(base, 'norm-delta', ['/app/x'], []).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StepFailedError);
    expect((e as StepFailedError).code).toBe('build.delete');
    expect((e as StepFailedError).message).toMatch(/deleting files in deployer-build-\S+ failed \(exit \d+\)/);
    expect(await engine.imageInfo(`deployer-test/${name}:norm-delta`)).toBeUndefined();
  }, T);
});
