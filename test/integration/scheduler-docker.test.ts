import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { dockerEngine } from '../../src/adapters/docker/engine.js';
import { dockerScheduler } from '../../src/adapters/scheduler/docker.js';
import { localEngine } from '../support/engine.js';
import type { DeploySpec } from '../../src/core/deploy/spec.js';
import { StepFailedError } from '../../src/core/errors.js';
import { appContainers, buildAppImage, expectGoodBackends, removeAppContainers, testDeploySpec, removeImages } from '../support/deploy-images.js';

// The docker scheduler against the real engine: 3 containers of a good image become healthy and
// serve their revision on 127.0.0.1; a broken one times out with a diagnosis.

const tagBase = `deployer-test/sched-${process.pid}`;
const GOOD = `${tagBase}:good`;
const BROKEN = `${tagBase}:broken`;
const APP = `sched-it-${process.pid}`;
const REV_GOOD = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const REV_BROKEN = 'b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1';

const scheduler = dockerScheduler(dockerEngine(localEngine()), { bindAddress: '127.0.0.1', endpoint: 'docker (local engine)', clock: systemClock });

const spec = (revision: string, image: string, o: Partial<DeploySpec> = {}) => testDeploySpec(APP, revision, image, o);

beforeAll(async () => {
  await Promise.all([buildAppImage(GOOD, 'good'), buildAppImage(BROKEN, 'broken')]);
});

afterAll(async () => {
  await removeAppContainers(APP);
  await removeImages(GOOD, BROKEN);
});

describe('docker scheduler', () => {
  it('deploys 3 instances that each serve the revision on their own 127.0.0.1 port, then destroys them', async () => {
    const progress: string[] = [];
    const env = await scheduler.deploy(spec(REV_GOOD, GOOD), { signal: new AbortController().signal, progress: (m) => progress.push(m) });
    expect(env).toMatchObject({ revision: REV_GOOD, id: `${APP}-a1b2c3d4e5f6`, image: GOOD, wanted: 3, healthy: 3 });
    expect(env.instances.map((i) => i.id)).toEqual([0, 1, 2].map((i) => `${APP}-a1b2c3d4e5f6-${i}`));
    const ports = await expectGoodBackends(env.backends, REV_GOOD, 3);
    expect(progress[0]).toMatch(/^started /);

    // Engine-side facts: labels, restart policy, the bind address.
    const info = await new Docker().getContainer(`${APP}-a1b2c3d4e5f6-1`).inspect();
    expect(info.Config.Labels).toMatchObject({ 'deployer.app': APP, 'deployer.revision': REV_GOOD, 'deployer.instance': '1', 'deployer.instances': '3' });
    expect(info.Config.Env).toContain(`DEPLOYER_REVISION=${REV_GOOD}`);
    expect(info.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(info.HostConfig.PortBindings?.['8000/tcp']?.[0]?.HostIp).toBe('127.0.0.1');

    // get and list rebuild the same environment from the engine alone.
    const got = await scheduler.get(APP, REV_GOOD);
    expect(got).toMatchObject({ healthy: 3, wanted: 3 });
    expect(new Set(got!.backends.map((b) => b.port))).toEqual(ports);
    expect((await scheduler.list(APP)).map((e) => e.revision)).toEqual([REV_GOOD]);

    await scheduler.destroy(APP, REV_GOOD, { signal: new AbortController().signal });
    expect(await appContainers(APP)).toEqual([]);
    expect(await scheduler.get(APP, REV_GOOD)).toBeUndefined();
  });

  it('times out an app that never gets healthy, with per-instance state, last response and log lines', async () => {
    // One failed check marks an instance unhealthy, and the deadline leaves room for several rounds
    // even on a loaded machine, so the outcome does not depend on how fast containers start.
    const hc = { path: '/', intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 1 };
    try {
      const err = await scheduler.deploy(spec(REV_BROKEN, BROKEN, { instances: 2, timeoutSeconds: 8, healthCheck: hc }), { signal: new AbortController().signal })
        .catch((e: unknown) => e) as StepFailedError;
      expect(err).toBeInstanceOf(StepFailedError);
      expect(err.code).toBe('deploy.unhealthy');
      expect(err.message).toBe(`environment ${APP}-b2c3d4e5f6a7 is not healthy after 8s (0/2 instances healthy)`);
      const details = err.details.join('\n');
      expect(details).toMatch(new RegExp(`${APP}-b2c3d4e5f6a7-0 127\\.0\\.0\\.1:\\d+: unhealthy — container running, last health check 500`));
      expect(details).toMatch(/-1 127\.0\.0\.1:\d+: unhealthy/);
      expect(details).toContain('| broken app starting, every answer is a 500');
      // The port contract: the environment is left for the caller, who removes it.
      const env = await scheduler.get(APP, REV_BROKEN);
      expect(env).toMatchObject({ healthy: 0, wanted: 2 });
      expect(env!.instances.map((i) => i.state)).toEqual(['unhealthy', 'unhealthy']);
    } finally {
      await scheduler.destroy(APP, REV_BROKEN, { signal: new AbortController().signal });
    }
    expect(await appContainers(APP)).toEqual([]);
  });

  it('stops waiting when interrupted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('SIGINT')), 700);
    await expect(scheduler.deploy(spec(REV_BROKEN, BROKEN, { instances: 1, timeoutSeconds: 30 }), { signal: ac.signal })).rejects.toThrow('SIGINT');
    await scheduler.destroy(APP, REV_BROKEN, { signal: new AbortController().signal });
    expect(await appContainers(APP)).toEqual([]);
  });
});
