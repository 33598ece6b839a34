import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { dockerSwarm } from '../../src/adapters/docker/swarm.js';
import { swarmScheduler } from '../../src/adapters/scheduler/swarm.js';
import { swarmSchema, type SwarmConfig } from '../../src/core/config/schema.js';
import type { DeploySpec } from '../../src/core/deploy/spec.js';
import { StepFailedError } from '../../src/core/errors.js';
import { buildAppImage, DEPLOY_TEST_LABEL, expectGoodBackends, removeImages, testDeploySpec } from '../support/deploy-images.js';
import { appServices, appTaskContainers, removeAppServices, useSwarm } from '../support/swarm.js';

// The swarm scheduler against a real single-node swarm (this engine, advertised on 127.0.0.1):
// 3 replicas of a good image become healthy and serve their revision at node address + published
// port; a broken, a crashing, a missing and an unplaceable image each fail with a diagnosis that
// names the task state, the task error and a log tail; an interrupted deploy stops waiting.

const tagBase = `deployer-test/swarm-${process.pid}`;
const GOOD = `${tagBase}:good`;
const BROKEN = `${tagBase}:broken`;
const CRASH = `${tagBase}:crash`;
const APP = `swarm-it-${process.pid}`;
const rev = (c: string) => c.repeat(40).slice(0, 40);

const docker = new Docker();
const fast: SwarmConfig = swarmSchema.parse({ restart: { delaySeconds: 1 }, stopGracePeriodSeconds: 1 });
const scheduler = (config: SwarmConfig = fast) => swarmScheduler({ swarm: dockerSwarm(docker), config, endpoint: 'local engine', clock: systemClock });
const never = () => new AbortController().signal;

const spec = (revision: string, image: string, o: Partial<DeploySpec> = {}) => testDeploySpec(APP, revision, image, {
  healthCheck: { path: '/', intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 1 },
  timeoutSeconds: 30,
  ...o,
});

/** Deploys, expects the failure, destroys; returns the error. */
async function failing(s: DeploySpec, config?: SwarmConfig): Promise<StepFailedError> {
  const sched = scheduler(config);
  try {
    const err = await sched.deploy(s, { signal: never() }).catch((e: unknown) => e);
    expect(err, JSON.stringify(err)).toBeInstanceOf(StepFailedError);
    return err as StepFailedError;
  } finally {
    await sched.destroy(APP, s.revision, { signal: never() });
  }
}

let giveBack: (() => Promise<void>) | undefined;

beforeAll(async () => {
  giveBack = await useSwarm();
  await Promise.all([
    buildAppImage(GOOD, 'good'),
    buildAppImage(BROKEN, 'broken'),
    execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '-t', CRASH, '-'], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      input: 'FROM deployer-base/busybox:latest\nCMD ["/bin/sh", "-c", "echo crashing on purpose >&2; exit 3"]\n',
    }),
  ]);
});

afterAll(async () => {
  await removeAppServices(APP);
  await removeImages(GOOD, BROKEN, CRASH);
  await giveBack?.();
});

describe('swarm scheduler (single-node swarm)', () => {
  it('deploys 3 replicas that each serve the revision at node address + published port, then destroys them', async () => {
    const R = rev('a1');
    const config = swarmSchema.parse({ ...fast, constraints: ['node.role==manager'], reservations: { cpus: 0.01, mem: 8 }, limits: { mem: 64 } });
    const s = scheduler(config);
    const progress: string[] = [];
    const env = await s.deploy(spec(R, GOOD), { signal: never(), progress: (m) => progress.push(m) });
    const name = `${APP}-a1a1a1a1a1a1`;
    expect(env).toMatchObject({ revision: R, id: name, image: GOOD, wanted: 3, healthy: 3 });
    expect(env.instances.map((i) => i.id)).toEqual([1, 2, 3].map((i) => `${name}.${i}`));
    // The node's swarm address (advertised as 127.0.0.1 here), never a container's bridge address.
    const ports = await expectGoodBackends(env.backends, R, 3);
    expect(progress[0]).toBe(`created service ${name}: 3 replicas, port 8000 published in host mode`);
    expect(progress).toContain('0/3 healthy');

    // Engine-side facts: labels, env, restart policy, placement, resources, host-mode ports.
    const info = await docker.getService(name).inspect() as { Spec: Record<string, any> };
    expect(info.Spec.Labels).toMatchObject({ 'deployer.app': APP, 'deployer.revision': R, 'deployer.instances': '3', 'deployer.health-path': '/', 'deployer.port': '8000' });
    const t = info.Spec.TaskTemplate;
    expect(t.ContainerSpec.Env).toEqual([`DEPLOYER_REVISION=${R}`, 'PORT=8000']);
    expect(t.RestartPolicy).toMatchObject({ Condition: 'any', Delay: 1e9 });
    expect(t.Placement.Constraints).toEqual(['node.role==manager']);
    expect(t.Resources).toEqual({ Limits: { MemoryBytes: 64 * 2 ** 20 }, Reservations: { NanoCPUs: 1e7, MemoryBytes: 8 * 2 ** 20 } });
    expect(info.Spec.EndpointSpec.Ports).toEqual([{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }]);
    expect(info.Spec.Mode).toEqual({ Replicated: { Replicas: 3 } });

    // get and list rebuild the same environment from the swarm alone.
    const got = await s.get(APP, R);
    expect(got).toMatchObject({ healthy: 3, wanted: 3 });
    expect(new Set(got!.backends.map((b) => b.port))).toEqual(ports);
    expect((await s.list(APP)).map((e) => e.revision)).toEqual([R]);

    await s.destroy(APP, R, { signal: never() });
    expect(await appServices(APP)).toEqual([]);
    // destroy returns once the tasks have stopped, not merely once the service is gone.
    expect(await appTaskContainers(APP)).toEqual([]);
    expect(await s.get(APP, R)).toBeUndefined();
  }, 90_000);

  it('an app answering 500: unhealthy tasks named with node, port, last answer and log tail; left for the caller', async () => {
    const R = rev('b2');
    const sched = scheduler();
    try {
      const err = await sched.deploy(spec(R, BROKEN, { instances: 2, timeoutSeconds: 8 }), { signal: never() }).catch((e: unknown) => e) as StepFailedError;
      expect(err).toBeInstanceOf(StepFailedError);
      expect(err.code).toBe('deploy.unhealthy');
      expect(err.message).toBe(`environment ${APP}-b2b2b2b2b2b2 is not healthy after 8s (0/2 instances healthy)`);
      const details = err.details.join('\n');
      expect(details).toMatch(new RegExp(`^service ${APP}-b2b2b2b2b2b2: 0/2 healthy; tasks 2 running`, 'm'));
      expect(details).toMatch(new RegExp(`${APP}-b2b2b2b2b2b2\\.1 on \\S+ 127\\.0\\.0\\.1:\\d+: unhealthy — task running, last health check 500`));
      expect(details).toContain('| broken app starting, every answer is a 500');
      const env = await sched.get(APP, R);
      expect(env).toMatchObject({ healthy: 0, wanted: 2 });
      expect(env!.instances.map((i) => i.state)).toEqual(['unhealthy', 'unhealthy']);
    } finally {
      await sched.destroy(APP, R, { signal: never() });
    }
    expect(await appServices(APP)).toEqual([]);
  }, 60_000);

  it('a crashing app: failed tasks with their exit code and output', async () => {
    const err = await failing(spec(rev('c3'), CRASH, { instances: 1, timeoutSeconds: 6 }));
    const details = err.details.join('\n');
    expect(details).toMatch(/failed: task: non-zero exit \(3\)/);
    expect(details).toContain('| crashing on purpose');
  }, 60_000);

  it('an image no node has: rejected tasks with the engine\'s error', async () => {
    const err = await failing(spec(rev('d4'), `${tagBase}:missing`, { instances: 1, timeoutSeconds: 5 }));
    expect(err.details.join('\n')).toMatch(/rejected: No such image: deployer-test\/swarm-\d+:missing/);
  }, 60_000);

  it('more memory than any node has: a pending task named with the scheduler\'s reason', async () => {
    const err = await failing(spec(rev('e5'), GOOD, { instances: 1, timeoutSeconds: 4 }), swarmSchema.parse({ ...fast, reservations: { mem: 100 * 2 ** 20 } }));
    expect(err.details.join('\n')).toMatch(/\.1: starting — task pending: no suitable node \(insufficient resources on 1 node\)/);
  }, 60_000);

  it('stops waiting when interrupted; destroy then leaves nothing running', async () => {
    const R = rev('f6');
    const s = scheduler();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('SIGINT')), 1500);
    await expect(s.deploy(spec(R, BROKEN, { instances: 1 }), { signal: ac.signal })).rejects.toThrow('SIGINT');
    expect(await appServices(APP)).toEqual([`${APP}-f6f6f6f6f6f6`]);
    await s.destroy(APP, R, { signal: never() });
    expect(await appServices(APP)).toEqual([]);
    expect(await appTaskContainers(APP)).toEqual([]);
  }, 60_000);
});
