import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerScheduler } from '../../../src/adapters/scheduler/docker.js';
import type { Clock } from '../../../src/ports/clock.js';
import type { ContainerInfo, DockerPort } from '../../../src/ports/docker.js';
import { testDeploySpec } from '../../support/deploy-images.js';

// The docker scheduler's health rounds: short polls doubling up to intervalSeconds, not a whole
// interval after a first round that came before the app answered. A fake engine whose containers
// all publish one local HTTP server; the server answers 503 until the clock has slept `readyAfter`
// times, so what is asserted is the sleeps asked for, never how long anything took.

let server: Server | undefined;
const closeServer = () => new Promise<void>((r) => (server ? server.close(() => r()) : r()));
afterEach(closeServer);

async function deployWith(intervalSeconds: number, readyAfter: number, instances = 4): Promise<number[]> {
  const sleeps: number[] = [];
  await closeServer();
  server = createServer((_req, res) => {
    res.statusCode = sleeps.length >= readyAfter ? 200 : 503;
    res.end('x');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let now = 0;
  const clock: Clock = {
    now: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  const info = (id: string): ContainerInfo => ({
    id, name: id, image: 'img', labels: {}, running: true, status: 'running', exitCode: undefined, restartCount: 0,
    ports: [{ containerPort: 8000, hostIp: '127.0.0.1', hostPort: port }], createdAt: new Date(0),
  });
  const docker = {
    createContainer: async (spec: { name?: string }) => spec.name!,
    startContainer: async () => undefined,
    inspectContainer: async (id: string) => info(id),
  } as unknown as DockerPort;
  const scheduler = dockerScheduler(docker, { bindAddress: '127.0.0.1', endpoint: 'fake', clock });
  const spec = testDeploySpec('poll', 'a'.repeat(40), 'img', {
    instances,
    healthCheck: { path: '/', intervalSeconds, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 },
    timeoutSeconds: 60,
  });
  const env = await scheduler.deploy(spec, { signal: new AbortController().signal });
  expect(env.healthy).toBe(instances);
  return sleeps;
}

describe('docker scheduler health rounds', () => {
  it('polls 100 ms after a first round that came too early, then doubles, never past intervalSeconds', async () => {
    expect(await deployWith(2, 2)).toEqual([100, 200]);
    expect(await deployWith(0.5, 5)).toEqual([100, 200, 400, 500, 500]);
  });

  it('waits no round when every instance answers the first time, and never polls faster than a shorter interval', async () => {
    expect(await deployWith(2, 0)).toEqual([]);
    expect(await deployWith(0.05, 3)).toEqual([50, 50, 50]);
  });
});
