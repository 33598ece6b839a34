import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineApi, plainEngineSocket } from '../../src/adapters/docker/client.js';
import { dockerEngine } from '../../src/adapters/docker/engine.js';
import { socketApi } from '../../src/adapters/docker/engine-socket.js';
import { commitContainer } from '../../src/adapters/docker/commit.js';
import { commitConfig } from '../../src/core/build/commit-config.js';
import { PreconditionError, StepFailedError } from '../../src/core/errors.js';
import type { ContainerInfo } from '../../src/ports/docker.js';
import { transports } from '../support/engine.js';

// The DockerPort over both engine transports (plain HTTP on the unix socket, which deployer uses
// by default, and dockerode's modem, which carries tcp/TLS/SSH engines) against the real engine:
// every call works through each, and both answer exactly alike.

const BASE = 'deployer-base/busybox:latest';
const APP = `engine-transports-${process.pid}`;
const [socket, modem] = transports.map(([, make]) => dockerEngine(make()));
const ids: string[] = [];
const images: string[] = [];

beforeAll(async () => {
  for (const [i, running] of [[0, true], [1, false]] as const) {
    const id = await socket!.createContainer({
      image: BASE,
      name: `${APP}-${i}`,
      cmd: ['sleep', '300'],
      labels: { 'deployer.app': APP, 'deployer.instance': String(i) },
      publish: [{ containerPort: 8000, hostIp: '127.0.0.1', hostPort: 0 }],
    });
    ids.push(id);
    if (running) await socket!.startContainer(id);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(ids.map((id) => socket!.removeContainer(id)));
  await Promise.all(images.map((ref) => socket!.removeImage(ref)));
}, 60_000);

const tarOf = (files: Record<string, string>): Readable => {
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name }, body);
  pack.finalize();
  return pack as unknown as Readable;
};

describe('engine reads: both transports answer alike', () => {
  it('list and inspect, running and stopped, published ports included', async () => {
    const byId = (a: ContainerInfo, b: ContainerInfo) => a.id.localeCompare(b.id);
    const mine = (await socket!.listContainers({ 'deployer.app': APP })).sort(byId);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual((await modem!.listContainers({ 'deployer.app': APP })).sort(byId));
    expect(mine.find((c) => c.running)?.ports[0]).toMatchObject({ containerPort: 8000, hostIp: '127.0.0.1' });
    expect(await socket!.listContainers({ 'deployer.app': APP, 'deployer.instance': '1' })).toEqual([mine.find((c) => !c.running)]);
    expect(await socket!.inspectContainer(ids[0]!)).toEqual(await modem!.inspectContainer(ids[0]!));
    expect(await socket!.inspectContainer('no-such-container-here')).toBeUndefined();
    expect(await modem!.inspectContainer('no-such-container-here')).toBeUndefined();
  });

  it('imageInfo by tag and by id; a missing image is undefined', async () => {
    const info = await socket!.imageInfo(BASE);
    expect(info).toEqual(await modem!.imageInfo(BASE));
    expect(await socket!.imageInfo(info!.id)).toEqual(info);
    expect(await socket!.imageInfo('deployer-test/no-such-image:nope')).toBeUndefined();
    expect(await modem!.imageInfo('deployer-test/no-such-image:nope')).toBeUndefined();
  });
});

describe.each(transports)('engine operations through the %s', (label, make) => {
  const engine = dockerEngine(make());
  const tag = `deployer-test/${APP}:${label.replace(/\W+/g, '-')}`;

  it('exec: stdout and stderr apart, line by line, with the exit code and the environment', async () => {
    const lines: string[] = [];
    const r = await engine.exec(ids[0]!, ['sh', '-c', 'echo "one $X"; echo two >&2; printf tail; exit 3'], {
      env: { X: 'x-value' },
      onLine: (l, s) => lines.push(`${s}:${l}`),
    });
    expect(r).toEqual({ exitCode: 3, stdout: 'one x-value\ntail', stderr: 'two\n' });
    expect(lines.sort()).toEqual(['stderr:two', 'stdout:one x-value', 'stdout:tail']);
  });

  it('exec: output far larger than one frame arrives whole', async () => {
    const r = await engine.exec(ids[0]!, ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done']);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(20000);
    expect(out.at(-1)).toBe('line-19999');
  });

  it('putArchive then getArchive and isEmptyDirectory; a missing path is undefined', async () => {
    const dir = `/tmp/${label.replace(/\W+/g, '-')}`;
    await engine.exec(ids[0]!, ['mkdir', '-p', `${dir}/empty`]);
    await engine.putArchive(ids[0]!, tarOf({ 'a.txt': 'alpha\n', 'sub/b.txt': 'beta\n' }), dir);
    expect((await engine.exec(ids[0]!, ['cat', `${dir}/a.txt`, `${dir}/sub/b.txt`])).stdout).toBe('alpha\nbeta\n');
    expect(await engine.isEmptyDirectory(ids[0]!, `${dir}/empty`)).toBe(true);
    expect(await engine.isEmptyDirectory(ids[0]!, dir)).toBe(false);
    expect(await engine.getArchive(ids[0]!, `${dir}/missing`)).toBeUndefined();
    expect(await engine.isEmptyDirectory(ids[0]!, `${dir}/missing`)).toBe(false);
  });

  it('logs of a container', async () => {
    const id = await engine.createContainer({ image: BASE, cmd: ['sh', '-c', 'echo out-line; echo err-line >&2'], labels: { 'deployer.app': APP } });
    ids.push(id);
    await engine.startContainer(id);
    await engine.startContainer(ids[0]!); // running already: not an error
    for (let i = 0; i < 50 && (await engine.inspectContainer(id))?.running; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await engine.logs(id, 10)).split('\n').filter(Boolean).sort()).toEqual(['err-line', 'out-line']);
  });

  it('commit keeps the config given, tag and remove an image', async () => {
    const base = (await engine.imageInfo(BASE))!;
    const config = commitConfig({ ...base.config, Env: [...(base.config.Env ?? []), 'COMMITTED=yes'] }, { 'deployer.app': APP });
    const { id } = await commitContainer(make(), { container: ids[0]!, ref: tag, config, comment: 'engine-transports' });
    images.push(tag, `${tag}-again`);
    const info = (await engine.imageInfo(tag))!;
    expect(info.id).toBe(id);
    expect(info.config.Env).toContain('COMMITTED=yes');
    expect(info.labels).toMatchObject({ 'deployer.app': APP });
    await engine.tagImage(tag, `${tag}-again`);
    expect((await engine.imageInfo(`${tag}-again`))?.id).toBe(id);
    expect((await engine.listImages([`deployer-test/${APP}`])).find((i) => i.id === id)?.refs.sort()).toEqual([tag, `${tag}-again`].sort());
    await engine.removeImage(`${tag}-again`);
    expect(await engine.imageInfo(`${tag}-again`)).toBeUndefined();
    await engine.removeImage(`${tag}-again`); // gone already: not an error
  });

  it('networks: create, list by label, remove', async () => {
    const name = `${APP}-${label.replace(/\W+/g, '-')}`;
    const id = await engine.createNetwork(name, { 'deployer.app': APP });
    expect(await engine.listNetworks({ 'deployer.app': APP })).toEqual([{ id, name }]);
    await engine.removeNetwork(id);
    expect(await engine.listNetworks({ 'deployer.app': APP })).toEqual([]);
    await engine.removeNetwork(id);
  });

  it("the engine's refusal is one step failure in its own words", async () => {
    const err = await engine.createContainer({ image: BASE, name: `${APP}-0` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toMatch(new RegExp(`^docker: create a container from ${BASE} failed: Conflict\\. The container name "/${APP}-0" is already in use`));
  });
});

describe('an engine reached over TCP (DOCKER_HOST=tcp://)', () => {
  // A loopback TCP port forwarded to the engine's socket: what a remote engine's dockerd -H tcp://
  // listens on, so the modem's TCP transport is what carries these calls.
  let forwarder: Server;
  let connections = 0;
  beforeAll(async () => {
    forwarder = createServer((c) => {
      connections++;
      const engine = connect(plainEngineSocket(process.env)!);
      c.pipe(engine).pipe(c);
      c.on('error', () => engine.destroy());
      engine.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => forwarder.close(() => r())));

  it('runs the same calls through dockerode over TCP', async () => {
    // dockerode reads DOCKER_HOST when the client is made, as deployer's own process does.
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${(forwarder.address() as AddressInfo).port}`;
    const api = await engineApi().finally(() => {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    });
    const engine = dockerEngine(api);
    expect((await engine.listContainers({ 'deployer.app': APP })).map((c) => c.id).sort()).toEqual((await socket!.listContainers({ 'deployer.app': APP })).map((c) => c.id).sort());
    expect(await engine.exec(ids[0]!, ['sh', '-c', 'echo over-tcp; echo e >&2'])).toEqual({ exitCode: 0, stdout: 'over-tcp\n', stderr: 'e\n' });
    await engine.putArchive(ids[0]!, tarOf({ 'tcp.txt': 'through tcp\n' }), '/tmp');
    expect((await socket!.exec(ids[0]!, ['cat', '/tmp/tcp.txt'])).stdout).toBe('through tcp\n');
    expect(await engine.imageInfo(BASE)).toEqual(await socket!.imageInfo(BASE));
    expect(connections).toBeGreaterThan(0);
  });
});

describe('reaching the engine', () => {
  it('an engine that is not there is one clear precondition naming the socket', async () => {
    const err = await dockerEngine(socketApi('/nonexistent/docker.sock')).listContainers({ 'deployer.app': APP }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('cannot reach the Docker engine at /nonexistent/docker.sock (ENOENT) while trying to list containers');
  });

  it('DOCKER_HOST: unset or unix:// is plain HTTP on that socket; tcp, ssh and TLS engines go through dockerode', () => {
    expect(plainEngineSocket({})).toBe('/var/run/docker.sock');
    expect(plainEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock');
    expect(plainEngineSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(plainEngineSocket({ DOCKER_HOST: 'ssh://deploy@build-1' })).toBeUndefined();
  });
});
