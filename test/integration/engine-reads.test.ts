import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../src/adapters/docker/engine.js';
import { engineReads, plainEngineSocket } from '../../src/adapters/docker/engine-reads.js';
import { PreconditionError } from '../../src/core/errors.js';

// The plain-HTTP container and image reads (what switch and status use, without dockerode) against
// the real engine: they must answer exactly what the dockerode engine answers.

const BASE = 'deployer-base/busybox:latest';
const APP = `engine-reads-${process.pid}`;
const docker = new Docker();
const full = dockerEngine(docker);
const reads = engineReads(plainEngineSocket(process.env)!);
const ids: string[] = [];

beforeAll(async () => {
  for (const [i, running] of [[0, true], [1, false]] as const) {
    const c = await docker.createContainer({
      Image: BASE,
      name: `${APP}-${i}`,
      Cmd: ['sleep', '300'],
      Labels: { 'deployer.app': APP, 'deployer.instance': String(i) },
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    ids.push(c.id);
    if (running) await c.start();
  }
});

afterAll(async () => {
  await Promise.all(ids.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => {})));
});

describe('engine reads over the unix socket', () => {
  it('list and inspect equal the dockerode engine, running and stopped, published ports included', async () => {
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    const mine = (await reads.listContainers({ 'deployer.app': APP })).sort(byId);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual((await full.listContainers({ 'deployer.app': APP })).sort(byId));
    expect(mine.find((c) => c.running)?.ports[0]).toMatchObject({ containerPort: 8000, hostIp: '127.0.0.1' });
    expect(await reads.listContainers({ 'deployer.app': APP, 'deployer.instance': '1' })).toEqual([mine.find((c) => !c.running)]);
    expect(await reads.inspectContainer(ids[0]!)).toEqual(await full.inspectContainer(ids[0]!));
    expect(await reads.inspectContainer('no-such-container-here')).toBeUndefined();
  });

  it('imageInfo equals the dockerode engine, by tag and by id; a missing image is undefined', async () => {
    const info = await reads.imageInfo(BASE);
    expect(info).toEqual(await full.imageInfo(BASE));
    expect(await reads.imageInfo(info!.id)).toEqual(info);
    expect(await reads.imageInfo('deployer-test/no-such-image:nope')).toBeUndefined();
  });

  it('an engine that is not there is one clear precondition naming the socket', async () => {
    const err = await engineReads('/nonexistent/docker.sock').listContainers({ 'deployer.app': APP }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toBe('cannot reach the Docker engine at /nonexistent/docker.sock (ENOENT) while trying to list containers');
  });

  it('DOCKER_HOST: unset or unix:// is read directly; tcp, ssh and TLS engines stay with dockerode', () => {
    expect(plainEngineSocket({})).toBe('/var/run/docker.sock');
    expect(plainEngineSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock');
    expect(plainEngineSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(plainEngineSocket({ DOCKER_HOST: 'ssh://deploy@build-1' })).toBeUndefined();
  });
});
