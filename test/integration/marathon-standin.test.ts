// Tests of the Marathon stand-in itself, against the real local Docker engine.
// Containers are reached only through their 127.0.0.1 published ports.

import http, { type IncomingMessage } from 'node:http';
import Docker from 'dockerode';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { call, waitUntil, type Json } from '../support/marathon-http.js';

const IMAGE = 'deployer-base/busybox:latest';
const docker = new Docker();
const LONG = 180_000;

// ------------------------------------------------------------------ helpers

interface Stream {
  res: IncomingMessage;
  raw: string;
  events: { event?: string; data: Json }[];
  ended: boolean;
  waitFor(pred: (e: { event?: string; data: Json }) => boolean, what: string, timeoutMs?: number): Promise<{ event?: string; data: Json }>;
  close(): void;
}

/** Reads /v2/events with node:http (not fetch: undici has a body timeout) and eventsource-parser. */
function openEvents(m: MarathonStandin, query = '', accept: string | null = 'text/event-stream'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${m.url}/v2/events${query}`, { headers: accept === null ? {} : { accept } }, (res) => {
      const s: Stream = {
        res,
        raw: '',
        events: [],
        ended: false,
        waitFor: (pred, what, timeoutMs = 90_000) => waitUntil(what, () => s.events.find(pred), timeoutMs),
        close: () => req.destroy(),
      };
      const parser = createParser({ onEvent: (e) => s.events.push({ event: e.event, data: JSON.parse(e.data) as Json }) });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        s.raw += chunk;
        if (res.statusCode === 200) parser.feed(chunk);
      });
      res.on('end', () => (s.ended = true));
      res.on('close', () => (s.ended = true));
      res.on('error', () => (s.ended = true));
      resolve(s);
    });
    req.on('error', reject);
  });
}

async function containersOf(label: string) {
  return docker.listContainers({ all: true, filters: { label: [label] } });
}

/** A busybox httpd task: index "ok", plus its environment at /env.txt. */
function webApp(id: string, extra: Json = {}): Json {
  return {
    id,
    instances: 2,
    cmd: 'echo ok > /var/www/index.html && env > /var/www/env.txt && exec httpd -f -p 8000 -h /var/www',
    cpus: 0.1,
    mem: 32,
    env: { FOO: 'bar' },
    labels: { revision: '3f2a9c1e0b7d' },
    networks: [{ mode: 'container/bridge' }],
    container: {
      type: 'DOCKER',
      docker: { image: IMAGE },
      portMappings: [{ containerPort: 8000, hostPort: 0, name: 'http' }],
    },
    healthChecks: [
      { protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3 },
    ],
    ...extra,
  };
}

// ------------------------------------------------------------------ no containers needed

describe('marathon stand-in: API surface', () => {
  let m: MarathonStandin;
  let legacy: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({ heartbeatIntervalMs: 200 });
    legacy = await startMarathonStandin({ version: '1.4.11' });
  });
  afterAll(async () => {
    await m?.close();
    await legacy?.close();
  });

  it('reports the configured version on /v2/info and answers /ping', async () => {
    const info = await call(m, 'GET', '/v2/info');
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ name: 'marathon', version: '1.10.0', elected: true, leader: m.url.replace('http://', '') });
    expect(info.headers.get('x-marathon-leader')).toBe(m.url);
    expect((await call(legacy, 'GET', '/v2/info')).json.version).toBe('1.4.11');
    const ping = await fetch(`${m.url}/ping`);
    expect(await ping.text()).toBe('pong');
    expect((await (await fetch(`${legacy.url}/ping`)).text()).trim()).toBe('pong');
  });

  it('serves /v2/events only for exactly "Accept: text/event-stream", with CRLF frames and blank keepalives', async () => {
    for (const accept of ['text/event-stream, */*', 'application/json', null]) {
      const bad = await openEvents(m, '', accept);
      await waitUntil('405 body', () => bad.ended || undefined);
      expect(bad.res.statusCode).toBe(405);
      expect(bad.raw).toContain('HTTP method GET is not supported by this URL');
    }
    const s = await openEvents(m);
    expect(s.res.statusCode).toBe(200);
    expect(s.res.headers['content-type']).toBe('text/event-stream;charset=UTF-8');
    expect(s.res.headers['connection']).toBe('close');
    expect(s.res.headers['transfer-encoding']).toBeUndefined();
    const attached = await s.waitFor((e) => e.event === 'event_stream_attached', 'attached');
    expect(attached.data).toMatchObject({ eventType: 'event_stream_attached', remoteAddress: expect.any(String) });
    expect(s.raw.startsWith('event: event_stream_attached\r\ndata: {')).toBe(true);
    await waitUntil('two keepalives', () => (s.raw.match(/\r\n\r\n\r\n/g)?.length ?? 0) >= 1 || undefined, 5000);
    expect(s.raw).not.toMatch(/[^\r]\n/);

    // event_type filter, and dropEventStreams() cuts connections abruptly
    const filtered = await openEvents(m, '?event_type=deployment_success');
    await call(m, 'PUT', '/v2/apps/filtered', { instances: 0, container: { docker: { image: IMAGE } } });
    await filtered.waitFor((e) => e.event === 'deployment_success', 'deployment_success');
    expect(filtered.events.every((e) => e.event === 'deployment_success')).toBe(true);
    m.dropEventStreams();
    await waitUntil('streams dropped', () => (s.ended && filtered.ended) || undefined, 5000);
    await call(m, 'DELETE', '/v2/apps/filtered');
  });

  it('rejects invalid app definitions like Marathon (422 with field paths, 400 for bad JSON)', async () => {
    const invalid = await call(m, 'POST', '/v2/apps', {
      id: '/Bad_Id',
      instances: -1,
      container: { type: 'DOCKER', docker: { image: '' }, portMappings: [{ containerPort: 70000, hostPort: 0 }] },
      networks: [{ mode: 'container/bridge' }],
      healthChecks: [{ protocol: 'HTTP', portIndex: 3 }],
      upgradeStrategy: { minimumHealthCapacity: 2 },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.message).toBe('Object is not valid');
    const paths = (invalid.json.details as { path: string; errors: string[] }[]).map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/id',
        '/instances',
        '/container/docker/image',
        '/container/portMappings(0)/containerPort',
        '/healthChecks(0)',
        '/upgradeStrategy/minimumHealthCapacity',
      ]),
    );
    expect(invalid.json.details.find((d: Json) => d.path === '/upgradeStrategy/minimumHealthCapacity').errors).toEqual(['is greater than 1']);

    const types = await call(m, 'POST', '/v2/apps', { id: '/typed', cpus: 'lots', instances: 1.5, container: { docker: {} }, labels: { a: 1 } });
    expect(types.status).toBe(422);
    expect(types.json).toEqual({
      message: 'Invalid JSON',
      details: expect.arrayContaining([
        { path: '/cpus', errors: ['error.expected.jsnumber'] },
        { path: '/instances', errors: ['error.expected.int'] },
        { path: '/container/docker/image', errors: ['error.path.missing'] },
        { path: '/labels/a', errors: ['error.expected.jsstring'] },
      ]),
    });
    const legacyTypes = await call(legacy, 'POST', '/v2/apps', { id: '/typed', cpus: 'lots', cmd: 'sleep 1' });
    expect(legacyTypes.status).toBe(400);

    const neither = await call(m, 'POST', '/v2/apps', { id: '/nothing' });
    expect(neither.json.details).toEqual([{ path: '/', errors: ["AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."] }]);

    const mixed = await call(m, 'POST', '/v2/apps', {
      id: '/mixed',
      networks: [{ mode: 'container/bridge' }],
      container: { docker: { image: IMAGE, network: 'BRIDGE' } },
    });
    expect(mixed.status).toBe(422);
    expect(mixed.json.details[0].errors).toEqual(['must not specify both container.docker.network and networks']);

    const badJson = await call(m, 'POST', '/v2/apps', '{"id": "/x",');
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({ message: 'Invalid JSON', details: expect.any(String) });
    expect((await call(m, 'GET', '/v2/apps')).json).toEqual({ apps: [] });
  });

  it('translates legacy docker networking on 1.5+ and renders it back in the legacy shape on 1.4', async () => {
    const legacyStyle = {
      id: 'legacy-style',
      instances: 0,
      container: {
        type: 'DOCKER',
        docker: { image: IMAGE, network: 'BRIDGE', portMappings: [{ containerPort: 8000, hostPort: 0, protocol: 'tcp' }] },
      },
    };
    const created = await call(m, 'POST', '/v2/apps', legacyStyle);
    expect(created.status).toBe(201);
    expect(created.headers.get('marathon-deployment-id')).toBe(created.json.deployments[0].id);
    expect(created.json).toMatchObject({
      id: '/legacy-style',
      networks: [{ mode: 'container/bridge' }],
      container: { portMappings: [{ containerPort: 8000, hostPort: 0, servicePort: expect.any(Number), protocol: 'tcp' }] },
      tasksRunning: 0,
    });
    expect(created.json.container.docker.network).toBeUndefined();
    expect((await call(m, 'POST', '/v2/apps', legacyStyle)).json).toEqual({ message: 'An app with id [/legacy-style] already exists.' });

    const old = await call(legacy, 'POST', '/v2/apps', legacyStyle);
    expect(old.status).toBe(201);
    expect(old.json).toMatchObject({
      cmd: null,
      tasks: [],
      container: { docker: { network: 'BRIDGE', portMappings: [{ containerPort: 8000, hostPort: 0, servicePort: 10000 }] } },
      ports: [10000],
    });
    expect(old.json.networks).toBeUndefined();
    await call(m, 'DELETE', '/v2/apps/legacy-style');
    await call(legacy, 'DELETE', '/v2/apps/legacy-style');
  });

  it('locks apps during deployments: 409 with deployment ids unless force; DELETE forces by default', async () => {
    const put = await call(m, 'PUT', '/v2/apps/locked/app', { instances: 0, container: { docker: { image: IMAGE } } });
    expect(put.status).toBe(201);
    await waitUntil('no deployments', async () => ((await call(m, 'GET', '/v2/deployments')).json.length === 0 ? true : undefined));

    const lockId = m.lockApp('/locked/app');
    expect((await call(m, 'GET', '/v2/deployments')).json).toEqual([
      expect.objectContaining({ id: lockId, affectedApps: ['/locked/app'], currentStep: 1, totalSteps: 1 }),
    ]);
    expect((await call(m, 'GET', '/v2/apps/locked/app')).json.app.deployments).toEqual([{ id: lockId }]);
    const conflict = await call(m, 'PUT', '/v2/apps/locked/app', { instances: 0, labels: { x: 'y' } });
    expect(conflict.status).toBe(409);
    expect(conflict.json).toEqual({
      message:
        "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
      deployments: [{ id: lockId }],
    });
    expect((await call(m, 'DELETE', '/v2/apps/locked/app?force=false')).status).toBe(409);

    const s = await openEvents(m);
    const forced = await call(m, 'PUT', '/v2/apps/locked/app?force=true', { labels: { x: 'y' } });
    expect(forced.status).toBe(200);
    expect(forced.json).toEqual({ deploymentId: expect.any(String), version: expect.any(String) });
    const failed = await s.waitFor((e) => e.event === 'deployment_failed', 'deployment_failed');
    expect(failed.data).toMatchObject({ id: lockId, reason: expect.any(String), plan: { id: lockId } });
    await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === forced.json.deploymentId, 'forced update success');
    expect((await call(m, 'GET', '/v2/apps/locked/app')).json.app.labels).toEqual({ x: 'y' });

    m.lockApp('/locked/app');
    const del = await call(m, 'DELETE', '/v2/apps/locked/app');
    expect(del.status).toBe(200);
    expect((await call(m, 'GET', '/v2/apps/locked/app')).status).toBe(404);

    const l2 = m.lockApp('/other');
    m.unlockApp('/other');
    await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === l2, 'unlock success');
    s.close();
  });

  it('injects failures, records requests and unhandled routes, enforces basic auth', async () => {
    m.failNext('GET', '/v2/apps', 503);
    const failed = await call(m, 'GET', '/v2/apps?embed=apps.tasks');
    expect(failed.status).toBe(503);
    expect(failed.text).toBe('Could not determine the current leader');
    expect((await call(m, 'GET', '/v2/apps?embed=apps.tasks')).status).toBe(200);
    m.failNext('*', '/v2/deployments', 500, { message: 'boom' });
    expect((await call(m, 'GET', '/v2/deployments')).json).toEqual({ message: 'boom' });

    expect(m.unhandled).toEqual([]);
    const groups = await call(m, 'GET', '/v2/groups?embed=group.apps');
    expect(groups.status).toBe(404);
    expect(m.unhandled).toEqual(['GET /v2/groups?embed=group.apps']);
    m.unhandled.length = 0;
    expect(m.requests.at(-1)).toEqual({ method: 'GET', path: '/v2/groups?embed=group.apps', body: undefined });

    const secured = await startMarathonStandin({ auth: { username: 'ci', password: 's3cret' } });
    try {
      const denied = await call(secured, 'GET', '/v2/apps');
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('basic realm="Mesosphere"');
      const ok = await call(secured, 'GET', '/v2/apps', undefined, { authorization: `Basic ${Buffer.from('ci:s3cret').toString('base64')}` });
      expect(ok.status).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

// ------------------------------------------------------------------ real containers

describe('marathon stand-in: tasks as containers', () => {
  let m: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin();
  });
  afterAll(async () => {
    await m?.close();
    expect(await containersOf(m.containerLabel)).toEqual([]);
  });

  it(
    'deploys a 2-instance app: deployment_success on the stream, tasks on 127.0.0.1 serving HTTP, DELETE removes them',
    async () => {
      const s = await openEvents(m, '?plan-format=light');
      const put = await call(m, 'PUT', '/v2/apps/web-app/3f2a9c1e0b7d', webApp('/web-app/3f2a9c1e0b7d'));
      expect(put.status).toBe(201);
      const deploymentId = put.json.deploymentId as string;
      expect(put.headers.get('marathon-deployment-id')).toBe(deploymentId);
      const info = await s.waitFor((e) => e.event === 'deployment_info', 'deployment_info');
      expect(info.data).toMatchObject({ plan: { id: deploymentId, steps: [{ actions: [{ action: 'StartApplication', app: '/web-app/3f2a9c1e0b7d' }] }] } });
      expect((await call(m, 'GET', '/v2/deployments')).json.map((d: Json) => d.id)).toContain(deploymentId);

      const success = await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === deploymentId, 'deployment_success', 150_000);
      expect(success.data.plan).toMatchObject({ id: deploymentId, version: put.json.version });
      expect(s.events.filter((e) => e.event === 'status_update_event' && e.data.taskStatus === 'TASK_RUNNING')).toHaveLength(2);
      expect(s.events.filter((e) => e.event === 'health_status_changed_event' && e.data.alive === true)).toHaveLength(2);
      expect(s.events.some((e) => e.event === 'deployment_step_success')).toBe(true);
      expect((await call(m, 'GET', '/v2/deployments')).json).toEqual([]);

      const { app } = (await call(m, 'GET', '/v2/apps/web-app/3f2a9c1e0b7d')).json;
      expect(app).toMatchObject({ instances: 2, tasksRunning: 2, tasksHealthy: 2, tasksUnhealthy: 0, deployments: [] });
      expect(app.tasks).toHaveLength(2);
      for (const t of app.tasks) {
        expect(t).toMatchObject({ host: '127.0.0.1', state: 'TASK_RUNNING', appId: '/web-app/3f2a9c1e0b7d', version: put.json.version });
        expect(t.id).toMatch(/^web-app_3f2a9c1e0b7d\.instance-[0-9a-f-]+\._app\.1$/);
        expect(t.healthCheckResults).toEqual([expect.objectContaining({ alive: true, consecutiveFailures: 0, instanceId: expect.any(String) })]);
        const res = await fetch(`http://${t.host}:${t.ports[0]}/`);
        expect((await res.text()).trim()).toBe('ok');
        const env = await (await fetch(`http://127.0.0.1:${t.ports[0]}/env.txt`)).text();
        expect(env).toContain(`PORT0=${t.ports[0]}\n`);
        expect(env).toContain(`PORT_8000=${t.ports[0]}\n`);
        expect(env).toContain(`PORT_HTTP=${t.ports[0]}\n`);
        expect(env).toContain('MARATHON_APP_ID=/web-app/3f2a9c1e0b7d\n');
        expect(env).toContain(`MESOS_TASK_ID=${t.id}\n`);
        expect(env).toContain('HOST=127.0.0.1\n');
        expect(env).toContain('FOO=bar\n');
      }
      const embedded = (await call(m, 'GET', '/v2/apps?embed=apps.tasks')).json.apps;
      expect(embedded[0].tasks).toHaveLength(2);
      expect((await call(m, 'GET', '/v2/apps')).json.apps[0].tasks).toBeUndefined();
      expect((await call(m, 'GET', '/v2/tasks')).json.tasks).toHaveLength(2);
      expect((await call(m, 'GET', '/v2/apps/web-app/3f2a9c1e0b7d/tasks')).json.tasks).toHaveLength(2);
      expect(await containersOf('marathon-standin.app=/web-app/3f2a9c1e0b7d')).toHaveLength(2);

      // A config change is a RestartApplication: new tasks first, old ones killed once new ones are healthy.
      const oldIds = app.tasks.map((t: Json) => t.id);
      const restart = await call(m, 'PUT', '/v2/apps/web-app/3f2a9c1e0b7d', { env: { FOO: 'baz' } });
      expect(restart.status).toBe(200);
      const restartInfo = await s.waitFor((e) => e.event === 'deployment_info' && e.data.plan.id === restart.json.deploymentId, 'restart info');
      expect(restartInfo.data.currentStep.actions).toEqual([{ action: 'RestartApplication', app: '/web-app/3f2a9c1e0b7d' }]);
      await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === restart.json.deploymentId, 'restart success', 150_000);
      const restarted = (await call(m, 'GET', '/v2/apps/web-app/3f2a9c1e0b7d')).json.app;
      expect(restarted).toMatchObject({ tasksHealthy: 2, version: restart.json.version, versionInfo: { lastConfigChangeAt: restart.json.version } });
      expect(restarted.tasks.filter((t: Json) => oldIds.includes(t.id))).toEqual([]);
      expect(await (await fetch(`http://127.0.0.1:${restarted.tasks[0].ports[0]}/env.txt`)).text()).toContain('FOO=baz\n');

      // Changing only `instances` is a ScaleApplication that keeps the config version.
      const scale = await call(m, 'PUT', '/v2/apps/web-app/3f2a9c1e0b7d', { instances: 1 });
      await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === scale.json.deploymentId, 'scale success');
      expect(s.events.find((e) => e.event === 'deployment_info' && e.data.plan.id === scale.json.deploymentId)?.data.currentStep.actions[0].action).toBe(
        'ScaleApplication',
      );
      const scaled = (await call(m, 'GET', '/v2/apps/web-app/3f2a9c1e0b7d')).json.app;
      expect(scaled).toMatchObject({ instances: 1, tasksRunning: 1, versionInfo: { lastConfigChangeAt: restart.json.version, lastScalingAt: scale.json.version } });
      expect(await containersOf('marathon-standin.app=/web-app/3f2a9c1e0b7d')).toHaveLength(1);

      const del = await call(m, 'DELETE', '/v2/apps/web-app/3f2a9c1e0b7d');
      expect(del.status).toBe(200);
      expect((await call(m, 'GET', '/v2/apps/web-app/3f2a9c1e0b7d')).json).toEqual({ message: "App '/web-app/3f2a9c1e0b7d' does not exist" });
      await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === del.json.deploymentId, 'delete success');
      expect(s.events.some((e) => e.event === 'app_terminated_event' && e.data.appId === '/web-app/3f2a9c1e0b7d')).toBe(true);
      expect(await containersOf('marathon-standin.app=/web-app/3f2a9c1e0b7d')).toEqual([]);
      expect(m.unhandled).toEqual([]);
      s.close();
    },
    LONG,
  );

  it(
    'keeps the deployment of an unhealthy app pending; DELETE /v2/deployments/{id} rolls the creation back',
    async () => {
      const s = await openEvents(m);
      const def = webApp('/unhealthy', {
        instances: 1,
        healthChecks: [{ protocol: 'HTTP', path: '/missing', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 0 }],
      });
      const put = await call(m, 'PUT', '/v2/apps/unhealthy', def);
      const id = put.json.deploymentId as string;
      const task = await waitUntil('a failed health result', async () => {
        const t = (await call(m, 'GET', '/v2/apps/unhealthy')).json.app.tasks[0];
        return t?.healthCheckResults?.[0]?.consecutiveFailures >= 3 ? t : undefined;
      });
      expect(task.healthCheckResults[0]).toMatchObject({ alive: false, lastFailureCause: '404 Not Found' });
      expect((await call(m, 'GET', '/v2/apps/unhealthy')).json.app).toMatchObject({ tasksRunning: 1, tasksHealthy: 0, tasksUnhealthy: 1 });
      expect((await call(m, 'GET', '/v2/deployments')).json.map((d: Json) => d.id)).toContain(id);
      expect(s.events.some((e) => e.data.id === id && /deployment_(success|failed)/.test(e.event ?? ''))).toBe(false);

      const cancel = await call(m, 'DELETE', `/v2/deployments/${id}`);
      expect(cancel.status).toBe(200);
      expect(cancel.json.deploymentId).not.toBe(id);
      await s.waitFor((e) => e.event === 'deployment_failed' && e.data.id === id, 'deployment_failed');
      await s.waitFor((e) => e.event === 'deployment_success' && e.data.id === cancel.json.deploymentId, 'rollback success');
      expect((await call(m, 'GET', '/v2/apps/unhealthy')).status).toBe(404);
      expect(await containersOf('marathon-standin.app=/unhealthy')).toEqual([]);
      s.close();
    },
    LONG,
  );

  it(
    'kills and replaces a task after maxConsecutiveFailures failed health checks',
    async () => {
      const s = await openEvents(m);
      await call(m, 'PUT', '/v2/apps/flaky', {
        ...webApp('/flaky', {
          instances: 1,
          healthChecks: [{ protocol: 'HTTP', path: '/missing', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2 }],
        }),
        backoffSeconds: 1,
        backoffFactor: 1,
      });
      const kill = await s.waitFor((e) => e.event === 'unhealthy_instance_kill_event', 'unhealthy kill', 120_000);
      expect(kill.data).toMatchObject({ appId: '/flaky', taskId: expect.any(String), instanceId: expect.any(String), reason: expect.stringContaining('404') });
      expect(s.events.filter((e) => e.event === 'failed_health_check_event').length).toBeGreaterThanOrEqual(2);
      await s.waitFor((e) => e.event === 'status_update_event' && e.data.taskStatus === 'TASK_KILLED' && e.data.taskId === kill.data.taskId, 'killed');
      await s.waitFor((e) => e.event === 'status_update_event' && e.data.taskStatus === 'TASK_RUNNING' && e.data.taskId !== kill.data.taskId, 'replacement');
      await call(m, 'DELETE', '/v2/apps/flaky');
      s.close();
    },
    LONG,
  );

  it(
    'relaunches crash-looping tasks with backoff and never fails the deployment by itself',
    async () => {
      const s = await openEvents(m);
      // With health checks a task that only runs for a moment is never "ready", so the deployment stays.
      const put = await call(m, 'PUT', '/v2/apps/crasher', {
        ...webApp('/crasher', { instances: 1, cmd: 'echo starting; exit 3' }),
        backoffSeconds: 1,
        backoffFactor: 1,
      });
      await s.waitFor((e) => e.event === 'status_update_event' && e.data.taskStatus === 'TASK_FAILED', 'first failure', 120_000);
      await waitUntil('a relaunch', () => (s.events.filter((e) => e.data.taskStatus === 'TASK_RUNNING').length >= 2 ? true : undefined), 120_000);
      const failure = s.events.find((e) => e.data.taskStatus === 'TASK_FAILED')!;
      expect(failure.data).toMatchObject({ appId: '/crasher', message: 'Container exited with status 3', host: '127.0.0.1' });
      const { app } = (await call(m, 'GET', '/v2/apps/crasher')).json;
      expect(app.lastTaskFailure).toMatchObject({ appId: '/crasher', state: 'TASK_FAILED', message: 'Container exited with status 3' });
      expect(app.deployments).toEqual([{ id: put.json.deploymentId }]);
      expect(s.events.some((e) => /deployment_(success|failed)/.test(e.event ?? '') && e.data.id === put.json.deploymentId)).toBe(false);
      await call(m, 'DELETE', '/v2/apps/crasher');
      s.close();
    },
    LONG,
  );

  it(
    'hangDeployments() holds deployments; omitHealthResults() hides results; runs host-networking command apps on $PORT0',
    async () => {
      m.hangDeployments(true);
      const put = await call(m, 'PUT', '/v2/apps/hostnet', {
        instances: 1,
        cmd: 'echo ok > /var/www/index.html && exec httpd -f -p $PORT0 -h /var/www',
        portDefinitions: [{ port: 0, name: 'http' }],
        healthChecks: [{ protocol: 'HTTP', path: '/', gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 0 }],
      });
      expect(put.status).toBe(201);
      const task = await waitUntil('a failing result', async () => {
        const t = (await call(m, 'GET', '/v2/apps/hostnet')).json.app.tasks[0];
        return t?.healthCheckResults?.[0]?.consecutiveFailures >= 2 ? t : undefined;
      });
      expect(task.healthCheckResults[0].alive).toBe(false);
      expect((await (await fetch(`http://127.0.0.1:${task.ports[0]}/`)).text()).trim()).toBe('ok');
      const ofHostnet = async () => (await call(m, 'GET', '/v2/deployments')).json.filter((d: Json) => d.affectedApps.includes('/hostnet'));
      expect((await ofHostnet()).map((d: Json) => d.id)).toEqual([put.json.deploymentId]);

      m.hangDeployments(false);
      await waitUntil('deployment done', async () => ((await ofHostnet()).length === 0 ? true : undefined));
      const { app } = (await call(m, 'GET', '/v2/apps/hostnet')).json;
      expect(app).toMatchObject({ tasksHealthy: 1, portDefinitions: [{ port: expect.any(Number), name: 'http', protocol: 'tcp' }] });

      m.omitHealthResults(true);
      const hidden = (await call(m, 'GET', '/v2/apps/hostnet')).json.app;
      expect(hidden.tasks[0].healthCheckResults).toEqual([]);
      expect(hidden.tasksHealthy).toBe(0);
      m.omitHealthResults(false);
      await call(m, 'DELETE', '/v2/apps/hostnet');
    },
    LONG,
  );

  it(
    'close() removes every container it created, even mid-deployment',
    async () => {
      const other = await startMarathonStandin();
      await call(other, 'PUT', '/v2/apps/leftover', webApp('/leftover', { instances: 1, healthChecks: [] }));
      await waitUntil('a running task', async () => ((await containersOf(other.containerLabel)).length >= 1 ? true : undefined));
      await call(other, 'PUT', '/v2/apps/leftover', { instances: 2 });
      await other.close();
      expect(await containersOf(other.containerLabel)).toEqual([]);
    },
    LONG,
  );
});
