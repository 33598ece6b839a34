import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { marathonClient, type MarathonClientOptions } from '../../src/adapters/scheduler/marathon/client.js';
import { openEventStream } from '../../src/adapters/scheduler/marathon/events.js';
import { marathonScheduler, type MarathonSchedulerOptions } from '../../src/adapters/scheduler/marathon/index.js';
import type { DeploySpec } from '../../src/core/deploy/spec.js';
import { LockHeldError, StepFailedError } from '../../src/core/errors.js';
import { sensitive } from '../../src/core/sensitive.js';
import type { DeployProgress, SchedulerPort } from '../../src/ports/scheduler.js';
import { buildAppImage, removeImages } from '../support/deploy-images.js';
import { httpGet } from '../support/http.js';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

// The Marathon scheduler against the stand-in (real HTTP, real SSE, tasks as real containers on
// 127.0.0.1). Every scenario of issue 5: both payload styles, success, failure, a hang past the
// deadline, 409, 422, a dropped event stream, tasks with and without health results, retries, auth.

const tagBase = `deployer-test/marathon-${process.pid}`;
const GOOD = `${tagBase}:good`;
const BROKEN = `${tagBase}:broken`;
const PREFIX = '/web-app';
const docker = new Docker();

let n = 0;
/** A fresh revision per scenario, so each gets its own app id. */
const rev = () => `${(++n).toString(16).padStart(2, '0')}${process.pid.toString(16).padStart(6, '0')}`.padEnd(40, 'c');
const appIdOf = (revision: string) => `${PREFIX}/${revision.slice(0, 12)}`;

function spec(revision: string, o: Partial<DeploySpec> = {}): DeploySpec {
  return {
    app: 'web-app',
    revision,
    image: GOOD,
    instances: 2,
    port: 8000,
    env: { DEPLOYER_REVISION: revision, PORT: '8000' },
    labels: { 'deployer.app': 'web-app', 'deployer.revision': revision },
    healthCheck: { path: '/', intervalSeconds: 1, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 },
    timeoutSeconds: 60,
    ...o,
  };
}

function schedulerFor(m: MarathonStandin | string, o: Partial<MarathonSchedulerOptions> = {}, c: Partial<MarathonClientOptions> = {}): SchedulerPort {
  const client = marathonClient({
    url: typeof m === 'string' ? m : m.url,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    requestTimeoutMs: 10_000,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
    ...c,
  });
  // A long safety re-check: while the stream is up, only events can end the wait.
  return marathonScheduler({ client, appPrefix: PREFIX, cpus: 0.1, mem: 32, clock: systemClock, pollIntervalMs: 300, safetyCheckMs: 120_000, destroyWaitMs: 30_000, ...o });
}

const signal = () => new AbortController().signal;
const puts = (m: MarathonStandin, appId: string) => m.requests.filter((r) => r.method === 'PUT' && r.path === `/v2/apps${appId}`);
const standinContainers = async (m: MarathonStandin, appId?: string) =>
  (await docker.listContainers({ all: true, filters: { label: [m.containerLabel, ...(appId ? [`marathon-standin.app=${appId}`] : [])] } })).length;
const deploymentsOf = async (m: MarathonStandin, appId: string) =>
  ((await (await fetch(`${m.url}/v2/deployments`)).json()) as { id: string; affectedApps: string[] }[]).filter((d) => d.affectedApps.includes(appId));
/** Jetty's error page, as Marathon's leader proxy sends it without a leader (docs/marathon-api.md §0). */
const noLeaderPage = (status: number) =>
  `<html><head><title>Error ${status}</title></head><body><h2>HTTP ERROR ${status}</h2><p>Problem accessing /v2/apps. Reason:<pre>    Could not determine the current leader</pre></p></body></html>`;

let modern: MarathonStandin;
let legacy: MarathonStandin;

beforeAll(async () => {
  await Promise.all([buildAppImage(GOOD, 'good'), buildAppImage(BROKEN, 'broken')]);
  [modern, legacy] = await Promise.all([startMarathonStandin({ version: '1.10.0', heartbeatIntervalMs: 1000 }), startMarathonStandin({ version: '1.4.11', heartbeatIntervalMs: 1000 })]);
});

afterEach(() => {
  expect(modern.unhandled).toEqual([]);
  expect(legacy.unhandled).toEqual([]);
  modern.hangDeployments(false);
  modern.omitHealthResults(false);
});

afterAll(async () => {
  await Promise.all([modern?.close(), legacy?.close()]);
  await removeImages(GOOD, BROKEN);
});

describe('marathon scheduler: deploy that succeeds', () => {
  it('1.10 (networks + container.portMappings): healthy through the event stream, backends serve the revision, destroy removes all', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const r = rev();
    const appId = appIdOf(r);
    const progress: string[] = [];
    const env = await s.deploy(spec(r), { signal: signal(), progress: (p) => progress.push(p) });
    expect(env).toMatchObject({ revision: r, id: appId, image: GOOD, wanted: 2, healthy: 2 });
    for (const b of env.backends) {
      expect(b.host).toBe('127.0.0.1');
      const res = await httpGet(`http://${b.host}:${b.port}/`);
      expect(res.status).toBe(200);
      expect(res.headers['x-revision']).toBe(r);
    }
    // Exactly the documented 1.5+ shape was sent, once.
    const [put] = puts(m, appId);
    expect(puts(m, appId)).toHaveLength(1);
    expect(put!.body).toMatchObject({
      id: appId,
      instances: 2,
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: GOOD }, portMappings: [{ containerPort: 8000, hostPort: 0, protocol: 'tcp', name: 'http' }] },
      healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0 }],
      env: { DEPLOYER_REVISION: r, PORT: '8000' },
      labels: { 'deployer.app': 'web-app', 'deployer.revision': r },
    });
    expect((put!.body as { container: { docker: object } }).container.docker).not.toHaveProperty('network');
    // The wait ended on our deployment_success event: no polling of /v2/deployments was needed.
    expect(m.requests.some((q) => q.path.startsWith('/v2/events?') && q.path.includes('event_type=deployment_success'))).toBe(true);
    expect(m.requests.filter((q) => q.path === '/v2/deployments')).toEqual([]);
    expect(progress.some((p) => p.startsWith(`PUT ${appId}: deployment `))).toBe(true);

    expect(await s.get('web-app', r)).toMatchObject({ healthy: 2, wanted: 2 });
    expect((await s.list('web-app')).map((e) => e.revision)).toContain(r);
    expect(await s.get('other-app', r)).toBeUndefined();

    await s.destroy('web-app', r, { signal: signal() });
    expect(await s.get('web-app', r)).toBeUndefined();
    await waitFor(async () => (await standinContainers(m)) === 0, { what: 'the tasks to be killed', timeoutMs: 30_000 });
  });

  it('1.4 (container.docker.network BRIDGE + docker.portMappings): the legacy shape, also healthy', async () => {
    const m = legacy;
    const s = schedulerFor(m);
    const r = rev();
    expect(await s.about()).toMatchObject({ version: '1.4.11' });
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal() });
    expect(env).toMatchObject({ healthy: 1, wanted: 1 });
    const body = puts(m, appIdOf(r))[0]!.body as Record<string, any>;
    expect(body).not.toHaveProperty('networks');
    expect(body.container).toEqual({
      type: 'DOCKER',
      docker: { image: GOOD, forcePullImage: false, network: 'BRIDGE', portMappings: [{ containerPort: 8000, hostPort: 0, protocol: 'tcp', name: 'http' }] },
    });
    expect((await httpGet(`http://127.0.0.1:${env.backends[0]!.port}/`)).headers['x-revision']).toBe(r);
    await s.destroy('web-app', r, { signal: signal() });
    expect(await s.get('web-app', r)).toBeUndefined();
  });
});

describe('marathon scheduler: deploy that does not succeed', () => {
  it('an app that never gets healthy: own deadline, diagnosis with deployment, task health and failure cause', async () => {
    const s = schedulerFor(modern);
    const r = rev();
    // maxConsecutiveFailures 0: Marathon never kills the task, so its failing results are there to see.
    const healthCheck = { ...spec(r).healthCheck, maxConsecutiveFailures: 0 };
    const err = await s.deploy(spec(r, { image: BROKEN, instances: 1, timeoutSeconds: 6, healthCheck }), { signal: signal() }).catch((e: unknown) => e) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.code).toBe('deploy.unhealthy');
    expect(err.message).toBe(`Marathon app ${appIdOf(r)} is not healthy after 6s`);
    const details = err.details.join('\n');
    expect(details).toMatch(/^deployment [0-9a-f-]{36} started .*: still running$/m);
    expect(details).toMatch(new RegExp(`^app ${appIdOf(r)}: 0/1 healthy`, 'm'));
    expect(details).toMatch(/: TASK_RUNNING, unhealthy — failing: .*500.* \(\d+ consecutive failures?\)$/m);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('a deployment that fails (cancelled): deployment_failed for our id ends the wait at once, with the reason', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const r = rev();
    m.hangDeployments(true);
    const done = s.deploy(spec(r, { instances: 1, timeoutSeconds: 60 }), { signal: signal() }).catch((e: unknown) => e);
    await waitFor(() => puts(m, appIdOf(r)).length > 0, { what: 'the PUT', timeoutMs: 20_000 });
    const deployments = await (await fetch(`${m.url}/v2/deployments`)).json() as { id: string; affectedApps: string[] }[];
    const ours = deployments.find((d) => d.affectedApps.includes(appIdOf(r)))!;
    expect((await fetch(`${m.url}/v2/deployments/${ours.id}`, { method: 'DELETE' })).status).toBe(200);
    const err = await done as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.message).toBe(`Marathon deployment ${ours.id} of ${appIdOf(r)} failed: The upgrade has been cancelled`);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('a deployment that hangs: the deadline ends it, and the diagnosis says the deployment is still running', async () => {
    const s = schedulerFor(modern);
    const r = rev();
    modern.hangDeployments(true);
    const err = await s.deploy(spec(r, { instances: 1, timeoutSeconds: 4, healthCheck: { ...spec(r).healthCheck, gracePeriodSeconds: 60 } }), { signal: signal() })
      .catch((e: unknown) => e) as StepFailedError;
    expect(err.code).toBe('deploy.unhealthy');
    expect(err.details.join('\n')).toMatch(/^deployment .*: still running$/m);
    modern.hangDeployments(false);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('409: says which deployment holds the lock, and creates nothing', async () => {
    const s = schedulerFor(modern);
    const r = rev();
    const lockId = modern.lockApp(appIdOf(r));
    let created = false;
    const err = await s.deploy(spec(r), { signal: signal(), onCreated: () => (created = true) }).catch((e: unknown) => e) as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`Marathon app ${appIdOf(r)} is locked by deployment ${lockId}`);
    expect(err.details[0]).toMatch(new RegExp(`^deployment ${lockId} started `));
    expect(err.hint).toContain(`/v2/deployments/${lockId}`);
    expect(created).toBe(false);
    modern.unlockApp(appIdOf(r));
  });

  it('422: shows Marathon\'s field errors', async () => {
    const s = schedulerFor(modern, { cpus: 0.0001 });
    const r = rev();
    const err = await s.deploy(spec(r), { signal: signal() }).catch((e: unknown) => e) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.code).toBe('marathon.invalid');
    expect(err.message).toBe(`Marathon rejected the app definition of ${appIdOf(r)} (422: Object is not valid)`);
    expect(err.details.some((d) => d.startsWith('/cpus: '))).toBe(true);
    expect(await s.get('web-app', r)).toBeUndefined();
  });
});

describe('marathon scheduler: the event stream and health results', () => {
  it('falls back to polling /v2/deployments when the event stream drops', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const r = rev();
    const progress: string[] = [];
    m.hangDeployments(true);
    const done = s.deploy(spec(r, { instances: 1, healthCheck: { ...spec(r).healthCheck, gracePeriodSeconds: 60 } }), { signal: signal(), progress: (p) => progress.push(p) });
    await waitFor(() => puts(m, appIdOf(r)).length > 0, { what: 'the PUT', timeoutMs: 20_000 });
    m.dropEventStreams();
    await waitFor(() => progress.some((p) => p.startsWith('event stream dropped')), { what: 'the drop to be noticed', timeoutMs: 10_000 });
    const dropAt = m.requests.length;
    m.hangDeployments(false);
    const env = await done;
    expect(env).toMatchObject({ healthy: 1, wanted: 1 });
    const after = m.requests.slice(dropAt);
    expect(after.some((q) => q.method === 'GET' && q.path === '/v2/deployments')).toBe(true);
    expect(after.some((q) => q.path.startsWith('/v2/events'))).toBe(false);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('tasks without health results are unknown, not healthy: the deadline fails them', async () => {
    const s = schedulerFor(modern);
    const r = rev();
    modern.omitHealthResults(true);
    const err = await s.deploy(spec(r, { instances: 1, timeoutSeconds: 5 }), { signal: signal() }).catch((e: unknown) => e) as StepFailedError;
    expect(err.code).toBe('deploy.unhealthy');
    const details = err.details.join('\n');
    expect(details).toMatch(/^deployment [0-9a-f-]+: no longer running$/m);
    expect(details).toMatch(/TASK_RUNNING, unknown — no health check results \(unknown\)/);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('tasks whose health results come back late become healthy', async () => {
    const s = schedulerFor(modern);
    const r = rev();
    const progress: string[] = [];
    modern.omitHealthResults(true);
    const onProgress: DeployProgress = (p) => {
      progress.push(p);
      if (p.includes('waiting for every task')) modern.omitHealthResults(false);
    };
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal(), progress: onProgress });
    expect(env).toMatchObject({ healthy: 1 });
    expect(progress.some((p) => p.startsWith('0/1 healthy; deployment ended'))).toBe(true);
    await s.destroy('web-app', r, { signal: signal() });
  });
});

describe('marathon client: retries, errors, auth', () => {
  it('retries a 503 from the leader proxy and a 500, then succeeds', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const before = m.requests.length;
    m.failNext('GET', '/v2/info', 503);
    m.failNext('GET', '/v2/info', 500);
    expect(await s.about()).toMatchObject({ version: '1.10.0' });
    expect(m.requests.slice(before).filter((q) => q.path === '/v2/info')).toHaveLength(3);
  });

  it('gives up after the retries with a clear message', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const r = rev();
    for (let i = 0; i < 3; i++) m.failNext('GET', `/v2/apps${appIdOf(r)}`, 500, { message: 'boom' });
    await expect(s.get('web-app', r)).rejects.toThrow(/^Marathon could not read app \/web-app\/\w+ \(500 after 3 attempts\): boom$/);
  });

  it('connection refused: retried, then "cannot reach Marathon"', async () => {
    const port = await freePort();
    const s = schedulerFor(`http://127.0.0.1:${port}`);
    const err = await s.about().catch((e: unknown) => e) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.code).toBe('marathon.unreachable');
    expect(err.message).toBe(`cannot reach Marathon at http://127.0.0.1:${port} (GET /v2/info: ECONNREFUSED, 3 attempts)`);
  });

  it('answers of the wrong shape are refused with what was wrong, never a TypeError', async () => {
    const m = modern;
    const s = schedulerFor(m);
    m.failNext('GET', '/v2/apps?', 200, { apps: [{ id: 42, labels: { 'deployer.app': 'web-app' } }] });
    const listed = await s.list('web-app').catch((e: unknown) => e) as StepFailedError;
    expect(listed).toBeInstanceOf(StepFailedError);
    expect(listed.code).toBe('marathon.bad-answer');
    expect(listed.message).toBe(`Marathon at ${m.url} answered GET /v2/apps with data of the wrong shape`);
    expect(listed.details).toEqual([expect.stringMatching(/^apps\/0\/id: expected string, received number, got 42$/)]);
    const r = rev();
    m.failNext('GET', `/v2/apps${appIdOf(r)}`, 200, { app: { id: appIdOf(r), tasks: [{ id: 't1', ports: 'eighty' }] } });
    const got = await s.get('web-app', r).catch((e: unknown) => e) as StepFailedError;
    expect(got.code).toBe('marathon.bad-answer');
    expect(got.details).toEqual([expect.stringMatching(/^app\/tasks\/0\/ports: expected array/)]);
  });

  it('sends basic auth; without it says which variables to set', async () => {
    const m = await startMarathonStandin({ auth: { username: 'deployer', password: 's3cret' } });
    try {
      const anonymous = await schedulerFor(m).about().catch((e: unknown) => e) as StepFailedError;
      expect(anonymous.code).toBe('marathon.auth');
      expect(anonymous.hint).toBe('set DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD (basic auth) or DEPLOYER_MARATHON_TOKEN (DC/OS)');
      const s = schedulerFor(m, {}, { auth: { user: sensitive('deployer'), password: sensitive('s3cret') } });
      expect(await s.about()).toMatchObject({ version: '1.10.0' });
      expect(await s.list('web-app')).toEqual([]);
      expect(m.unhandled).toEqual([]);
    } finally {
      await m.close();
    }
  });
});

describe('marathon scheduler: what a real cluster does (issue 12)', () => {
  it('asks for event_stream_attached and proceeds on it: no fixed wait, no polling of /v2/deployments', async () => {
    const m = modern;
    // An attach wait far beyond the test's timeout: only the event itself can end it.
    const eventStream = { attachWaitMs: 600_000 };
    const client = marathonClient({ url: m.url, sleep: (ms, sig) => systemClock.sleep(ms, sig) });
    const stream = await openEventStream(client, { signal: signal(), ...eventStream, onEvent() {}, onDrop() {} });
    expect(stream.attached).toBe(true);
    stream.close();

    const s = schedulerFor(m, { eventStream });
    const r = rev();
    const before = m.requests.length;
    const progress: string[] = [];
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal(), progress: (p) => progress.push(p) });
    expect(env).toMatchObject({ healthy: 1, wanted: 1 });
    const mine = m.requests.slice(before);
    expect(mine.find((q) => q.path.startsWith('/v2/events?'))!.path).toContain('event_type=event_stream_attached');
    expect(mine.filter((q) => q.path === '/v2/deployments')).toEqual([]);
    expect(progress.filter((p) => p.includes('event_stream_attached'))).toEqual([]);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('an attach that comes late: polls /v2/deployments until event_stream_attached arrives, then follows the events', async () => {
    const m = modern;
    // In front of the stand-in: the event stream's bytes held back for a while, everything else redirected.
    const front = http.createServer((req, res) => {
      if (!req.url?.startsWith('/v2/events')) return void res.writeHead(307, { Location: `${m.url}${req.url}` }).end();
      const upstream = http.get(`${m.url}${req.url}`, { headers: { accept: 'text/event-stream' } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        setTimeout(() => up.pipe(res), 1500);
      });
      res.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    try {
      const s = schedulerFor(`http://127.0.0.1:${(front.address() as AddressInfo).port}`, { eventStream: { attachWaitMs: 200 } });
      const r = rev();
      const before = m.requests.length;
      const progress: string[] = [];
      // The deployment cannot end before the attach: its health checks fail (within the grace) until then.
      m.hangDeployments(true);
      const onProgress = (p: string) => {
        progress.push(p);
        if (p.startsWith('event stream attached')) m.hangDeployments(false);
      };
      const env = await s.deploy(spec(r, { instances: 1, healthCheck: { ...spec(r).healthCheck, gracePeriodSeconds: 60 } }), { signal: signal(), progress: onProgress });
      expect(env).toMatchObject({ healthy: 1 });
      const unproven = progress.findIndex((p) => p.startsWith('event stream: no event_stream_attached yet; polling /v2/deployments'));
      const attached = progress.indexOf('event stream attached; following the deployment by its events');
      expect(unproven).toBeGreaterThanOrEqual(0);
      expect(attached).toBeGreaterThan(unproven);
      expect(m.requests.slice(before).some((q) => q.path === '/v2/deployments')).toBe(true);
      await s.destroy('web-app', r, { signal: signal() });
    } finally {
      front.closeAllConnections();
      await new Promise((resolve) => front.close(resolve));
    }
  });

  it('no leader for a while (an HTML 503, as up to 1.6): the PUT waits, the log says why, the deploy succeeds', async () => {
    const m = modern;
    const notices: string[] = [];
    const s = schedulerFor(m, {}, { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100, leaderWaitMs: 60_000 }, notice: (n) => notices.push(n) });
    const r = rev();
    const appId = appIdOf(r);
    // Far more than the 3 attempts other failures get.
    for (let i = 0; i < 8; i++) m.failNext('PUT', `/v2/apps${appId}`, 503, noLeaderPage(503));
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal() });
    expect(env).toMatchObject({ healthy: 1 });
    expect(puts(m, appId)).toHaveLength(9);
    expect(notices).toEqual([
      `Marathon has no leader (HTTP 503: Error 503 HTTP ERROR 503 Problem accessing /v2/apps. Reason: Could not determine the current leader); retrying PUT /v2/apps${appId} for up to 60 s`,
      expect.stringMatching(new RegExp(`^Marathon answered PUT /v2/apps${appId} again after \\d+(\\.\\d)? s$`)),
    ]);
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('no leader for longer than the wait (an HTML 502, as from 1.7): one error naming status, wait and text', async () => {
    const m = modern;
    const s = schedulerFor(m, {}, { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100, leaderWaitMs: 400 } });
    const r = rev();
    for (let i = 0; i < 40; i++) m.failNext('GET', `/v2/apps${appIdOf(r)}`, 502, noLeaderPage(502));
    const err = await s.get('web-app', r).catch((e: unknown) => e) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.code).toBe('marathon.no-leader');
    expect(err.message).toMatch(new RegExp(`^Marathon could not read app ${appIdOf(r)} \\(502 for 0\\.\\d s, \\d+ attempts\\): Error 502 HTTP ERROR 502 .*Could not determine the current leader$`));
    expect(err.hint).toContain('deploy.marathon.leaderWaitSeconds');
  });

  it('an abort (Ctrl-C) ends the leader wait at once, also for a request made without a signal of its own', async () => {
    const m = modern;
    const controller = new AbortController();
    const interrupted = new Error('interrupted by the test');
    const s = schedulerFor(m, {}, {
      retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100, leaderWaitMs: 600_000 },
      signal: controller.signal,
      notice: () => controller.abort(interrupted),
    });
    const r = rev();
    for (let i = 0; i < 5; i++) m.failNext('GET', `/v2/apps${appIdOf(r)}`, 503);
    await expect(s.get('web-app', r)).rejects.toBe(interrupted);
  });

  it('a standby that redirects to the leader (302 for /v2/events, 307 for the rest): followed with method, body and the DC/OS token', async () => {
    const m = modern;
    const seen: string[] = [];
    const standby = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url?.split('?')[0]} ${req.headers.authorization}`);
      res.writeHead(req.url?.startsWith('/v2/events') ? 302 : 307, { Location: `${m.url}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => standby.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(standby.address() as AddressInfo).port}`;
      const s = schedulerFor(url, {}, { auth: { token: sensitive('dcos-t0ken') } });
      const r = rev();
      const appId = appIdOf(r);
      const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal() });
      expect(env).toMatchObject({ healthy: 1 });
      expect(seen).toContain('GET /v2/events token=dcos-t0ken');
      expect(seen).toContain(`PUT /v2/apps${appId} token=dcos-t0ken`);
      expect(seen.every((line) => line.endsWith(' token=dcos-t0ken'))).toBe(true);
      expect(puts(m, appId)).toHaveLength(1);
      expect(puts(m, appId)[0]!.body).toMatchObject({ id: appId, instances: 1 });
      await s.destroy('web-app', r, { signal: signal() });
      expect(seen).toContain(`DELETE /v2/apps${appId} token=dcos-t0ken`);
    } finally {
      await new Promise((resolve) => standby.close(resolve));
    }
  });

  it('destroy whose DELETE answer was lost: the retry meets 404, and destroy still waits for the removal to end', async () => {
    const m = modern;
    const r = rev();
    const appId = appIdOf(r);
    // The revision server ignores SIGTERM, so each task takes its whole kill grace to stop.
    const created = await fetch(`${m.url}/v2/apps${appId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: appId, instances: 1, cpus: 0.1, mem: 32, taskKillGracePeriodSeconds: 3,
        networks: [{ mode: 'container/bridge' }],
        container: { type: 'DOCKER', docker: { image: GOOD }, portMappings: [{ containerPort: 8000, hostPort: 0 }] },
      }),
    });
    expect(created.status).toBe(201);
    await waitFor(async () => (await deploymentsOf(m, appId)).length === 0 && (await standinContainers(m, appId)) === 1, { what: 'the app to run', timeoutMs: 30_000 });

    const s = schedulerFor(m, {}, { requestTimeoutMs: 1000 });
    m.holdNext('DELETE', `/v2/apps${appId}`);
    await s.destroy('web-app', r, { signal: signal() });
    const deletes = m.requests.filter((q) => q.method === 'DELETE' && q.path === `/v2/apps${appId}`);
    expect(deletes).toHaveLength(2);
    expect(await deploymentsOf(m, appId)).toEqual([]);
    expect(await standinContainers(m, appId)).toBe(0);
  });

  it('an app no agent can take: the diagnosis reads /v2/queue and says why offers were declined', async () => {
    const m = modern;
    const s = schedulerFor(m, { cpus: 64 });
    const r = rev();
    const err = await s.deploy(spec(r, { instances: 1, timeoutSeconds: 4 }), { signal: signal() }).catch((e: unknown) => e) as StepFailedError;
    expect(err.code).toBe('deploy.unhealthy');
    const details = err.details.join('\n');
    expect(details).toMatch(/^launch queue: 1 instance left to launch since \S+$/m);
    expect(details).toMatch(/^offers: \d+ processed, \d+ not used/m);
    expect(details).toMatch(/^offer declined: not enough cpus \(deploy\.marathon\.cpus\) \(\d+ offers?, InsufficientCpus\)$/m);
    expect(details).not.toMatch(/waiting for offers/);
    expect(err.hint).toMatch(new RegExp(`^Marathon cannot place ${appIdOf(r)}: not enough cpus`));
    await s.destroy('web-app', r, { signal: signal() });
  });

  it('403 TooManyRunningDeploymentsException: named as what it is, with the hint, nothing created', async () => {
    const m = modern;
    const s = schedulerFor(m);
    const r = rev();
    m.failNext('PUT', `/v2/apps${appIdOf(r)}`, 403, {
      message: 'Max number (2) of running deployments is achieved. Wait for existing deployments to complete or cancel oneusing force=true parameter. You can increase max deployment number by using --max_running_deployments parameter but be advised that this can have negative effects on the performance.',
    });
    let created = false;
    const err = await s.deploy(spec(r), { signal: signal(), onCreated: () => (created = true) }).catch((e: unknown) => e) as StepFailedError;
    expect(err.code).toBe('marathon.too-many-deployments');
    expect(err.message).toBe(`Marathon refused to create app ${appIdOf(r)}: it already runs its maximum of 2 deployments (403 TooManyRunningDeploymentsException)`);
    expect(err.hint).toContain('--max_running_deployments');
    expect(created).toBe(false);
    expect(await s.get('web-app', r)).toBeUndefined();
  });

  it('healthCheck.protocol MESOS_HTTP: sent as such (no 15 s delay), and the tasks get healthy', async () => {
    const m = modern;
    const s = schedulerFor(m, { healthProtocol: 'MESOS_HTTP' });
    const r = rev();
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal() });
    expect(env).toMatchObject({ healthy: 1 });
    expect((puts(m, appIdOf(r))[0]!.body as { healthChecks: unknown[] }).healthChecks).toEqual([
      { protocol: 'MESOS_HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3, delaySeconds: 0 },
    ]);
    await s.destroy('web-app', r, { signal: signal() });
  });

  for (const [which, status] of [['1.10', 502], ['1.4', 503]] as const) {
    it(`${which}: the leader lost mid-deploy, another instance elected: the deploy waits (${status}), says why, and ends healthy`, async () => {
      const m = which === '1.10' ? modern : legacy;
      const notices: string[] = [];
      const progress: string[] = [];
      const s = schedulerFor(m, {}, { retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 500, leaderWaitMs: 60_000 }, notice: (n) => notices.push(n) });
      const r = rev();
      m.hangDeployments(true);
      const onProgress = (p: string) => {
        progress.push(p);
        if (p.startsWith(`PUT ${appIdOf(r)}: deployment`)) {
          m.loseLeader({ forMs: 4000, then: 'other' });
          m.hangDeployments(false);
        }
      };
      try {
        const env = await s.deploy(spec(r, { instances: 1, healthCheck: { ...spec(r).healthCheck, gracePeriodSeconds: 60 } }), { signal: signal(), progress: onProgress });
        expect(env).toMatchObject({ healthy: 1 });
        expect(progress.some((p) => p.startsWith('event stream dropped'))).toBe(true);
        expect(notices[0]).toMatch(new RegExp(`^Marathon has no leader \\(HTTP ${status}: .*Could not determine the current leader.*\\); retrying GET /v2/\\S+ for up to 60 s$`));
        expect(m.leaderUrl()).toBe(m.standbyUrl);
        await s.destroy('web-app', r, { signal: signal() });
      } finally {
        m.reelect();
      }
    });
  }

  it('through the standby instance (it proxies the API and redirects /v2/events with 302): deploy and destroy work', async () => {
    const m = modern;
    const s = schedulerFor(m.standbyUrl);
    const r = rev();
    const env = await s.deploy(spec(r, { instances: 1 }), { signal: signal() });
    expect(env).toMatchObject({ healthy: 1 });
    await s.destroy('web-app', r, { signal: signal() });
    expect(await s.get('web-app', r)).toBeUndefined();
  });

  it('DC/OS token auth: sent as `token=…`; refused or missing, the hint names DEPLOYER_MARATHON_TOKEN', async () => {
    const m = await startMarathonStandin({ token: 'dcos-acs-t0ken' });
    try {
      expect(await schedulerFor(m, {}, { auth: { token: sensitive('dcos-acs-t0ken') } }).about()).toMatchObject({ version: '1.10.0' });
      const wrong = await schedulerFor(m, {}, { auth: { token: sensitive('expired') } }).about().catch((e: unknown) => e) as StepFailedError;
      expect(wrong.code).toBe('marathon.auth');
      expect(wrong.hint).toMatch(/^DEPLOYER_MARATHON_TOKEN was refused: DC\/OS tokens expire/);
      const anonymous = await schedulerFor(m).about().catch((e: unknown) => e) as StepFailedError;
      expect(anonymous.hint).toContain('DEPLOYER_MARATHON_TOKEN (DC/OS)');
      expect(m.unhandled).toEqual([]);
    } finally {
      await m.close();
    }
  });
});
