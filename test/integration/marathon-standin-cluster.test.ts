// The Marathon stand-in behaving like a cluster: offers declined and the launch queue, leader loss,
// auth, routing and tasks spread over agents. Against the real local Docker engine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { call, waitUntil, type Json } from '../support/marathon-http.js';

const IMAGE = 'deployer-base/busybox:latest';

function sleeper(id: string, extra: Json = {}): Json {
  return { id, instances: 1, cmd: 'exec sleep 600', cpus: 0.1, mem: 32, container: { type: 'DOCKER', docker: { image: IMAGE } }, ...extra };
}

const step = (item: Json, reason: string): Json | undefined =>
  (item.processedOffersSummary.rejectSummaryLastOffers as Json[]).find((s) => s.reason === reason);

describe('marathon stand-in: apps that cannot be placed', () => {
  let m: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({ agents: [{ hostname: '127.0.0.1', mem: 512 }] });
  });
  afterAll(async () => {
    await m?.close();
  });

  it('gets no tasks, keeps its deployment open and says under /v2/queue why offers are declined', async () => {
    const big = await call(m, 'POST', '/v2/apps', sleeper('/big', { mem: 4096 }));
    expect(big.status).toBe(201);
    const pinned = await call(m, 'POST', '/v2/apps', sleeper('/pinned', { constraints: [['hostname', 'CLUSTER', 'elsewhere.example']] }));
    expect(pinned.status).toBe(201);

    const queue = await waitUntil('two declined offers for both apps', async () => {
      const q = (await call(m, 'GET', '/v2/queue')).json as Json;
      const items = q.queue as Json[];
      const ok = items.length === 2 && items.every((i) => i.processedOffersSummary.unusedOffersCount >= 2);
      return ok ? items : undefined;
    });
    const byId = new Map(queue.map((i) => [i.app.id as string, i]));
    const bigItem = byId.get('/big')!;
    expect(bigItem.count).toBe(1);
    expect(bigItem.delay).toEqual({ timeLeftSeconds: 0, overdue: true });
    expect(typeof bigItem.since).toBe('string');
    expect(bigItem.app.mem).toBe(4096);
    expect(bigItem.app.tasks).toBeUndefined();
    expect(step(bigItem, 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 1, processed: 1 });
    expect(step(bigItem, 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 0, processed: 1 });
    expect(step(byId.get('/pinned')!, 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 1, processed: 1 });
    expect(step(byId.get('/pinned')!, 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 0, processed: 0 });
    const attempt = (bigItem.processedOffersSummary.rejectSummaryLaunchAttempt as Json[]).find((s) => s.reason === 'InsufficientMemory')!;
    expect(attempt.declined).toBe(bigItem.processedOffersSummary.unusedOffersCount);
    expect(bigItem.lastUnusedOffers).toBeUndefined();

    const embedded = (await call(m, 'GET', '/v2/queue?embed=lastUnusedOffers')).json.queue as Json[];
    const offers = embedded.find((i) => i.app.id === '/big')!.lastUnusedOffers as Json[];
    expect(offers).toHaveLength(1);
    expect(offers[0]!.reason).toEqual(['InsufficientMemory']);
    expect(offers[0]!.offer.hostname).toBe('127.0.0.1');

    // Nothing else tells: no tasks, the deployment stays, the app itself looks normal.
    const app = (await call(m, 'GET', '/v2/apps/big?embed=app.tasks')).json.app as Json;
    expect(app.tasks).toEqual([]);
    expect(app.deployments).toHaveLength(1);
    const deployments = (await call(m, 'GET', '/v2/deployments')).json as Json[];
    expect(deployments.map((d) => d.affectedApps[0]).sort()).toEqual(['/big', '/pinned']);

    expect((await call(m, 'DELETE', '/v2/queue/big/delay')).status).toBe(204);
    expect((await call(m, 'DELETE', '/v2/queue/nope/delay')).status).toBe(404);

    // Scaling down to what fits ends the deployment and empties the queue.
    expect((await call(m, 'PUT', '/v2/apps/big?force=true', { mem: 256 })).status).toBe(200);
    await waitUntil('/big running', async () => {
      const a = (await call(m, 'GET', '/v2/apps/big')).json.app as Json;
      return a.tasksRunning === 1 && a.deployments.length === 0 ? a : undefined;
    });
    const left = (await call(m, 'GET', '/v2/queue')).json.queue as Json[];
    expect(left.map((i) => i.app.id)).toEqual(['/pinned']);
    expect(m.unhandled).toEqual([]);
  }, 120_000);
});

describe('marathon stand-in: leader loss and a standby', () => {
  let m: MarathonStandin;
  let legacy: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({ noLeaderWaitMs: 400 });
    legacy = await startMarathonStandin({ version: '1.4.11', noLeaderWaitMs: 400 });
  });
  afterAll(async () => {
    await m?.close();
    await legacy?.close();
  });

  it('without a leader every path waits, then answers 502 (1.7+) / 503 (≤1.6) with an HTML page', async () => {
    m.loseLeader();
    legacy.loseLeader();
    try {
      for (const path of ['/v2/apps', '/ping', '/v2/events']) {
        const r = await call(m, 'GET', path, undefined, { accept: 'text/event-stream' });
        expect(r.status).toBe(502);
        expect(r.headers.get('content-type')).toMatch(/^text\/html/);
        expect(r.text).toContain('Could not determine the current leader');
        expect(r.json).toBeUndefined();
      }
      const old = await call(legacy, 'POST', '/v2/apps', sleeper('/x'));
      expect(old.status).toBe(503);
      expect(old.text).toContain(`<title>Error 503 Could not determine the current leader</title>`);
    } finally {
      m.reelect();
      legacy.reelect();
    }
    // A leader elected while a request waits: the request is served.
    m.loseLeader({ forMs: 150 });
    const served = await call(m, 'GET', '/v2/apps');
    expect(served.status).toBe(200);
    expect(served.headers.get('x-marathon-leader')).toBe(m.url);
  });

  it('a standby proxies the API to the leader and redirects /v2/events (1.7+) or proxies it (≤1.6)', async () => {
    const proxied = await call(m.standbyUrl, 'GET', '/v2/info');
    expect(proxied.status).toBe(200);
    expect(proxied.json.leader).toBe(m.url.replace('http://', ''));
    expect(proxied.headers.get('x-marathon-leader')).toBe(m.url);
    expect(proxied.headers.get('x-marathon-via')).toBe(`1.1 ${m.standbyUrl.replace('http://', '')}`);

    const events = await call(m.standbyUrl, 'GET', '/v2/events?plan-format=light', undefined, { accept: 'text/event-stream' });
    expect(events.status).toBe(302);
    expect(events.headers.get('location')).toBe(`${m.url}/v2/events?plan-format=light`);

    const ac = new AbortController();
    const old = await fetch(`${legacy.standbyUrl}/v2/events`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    expect(old.status).toBe(200);
    expect(old.headers.get('content-type')).toBe('text/event-stream;charset=UTF-8');
    const reader = old.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: event_stream_attached');
    ac.abort();
  });

  it('a failover during a deployment: the old leader becomes the standby, the deployment still ends', async () => {
    const created = await call(m, 'POST', '/v2/apps', sleeper('/through-failover'));
    expect(created.status).toBe(201);
    const stream = await fetch(`${m.url}/v2/events`, { headers: { accept: 'text/event-stream' } });
    const reader = stream.body!.getReader();
    await reader.read();
    // An election that takes a moment: the request made meanwhile waits and is then proxied to the new leader.
    m.loseLeader({ forMs: 300, then: 'other' });
    const during = await call(m, 'GET', '/v2/apps/through-failover');
    expect(during.status).toBe(200);
    expect(during.headers.get('x-marathon-leader')).toBe(m.standbyUrl);
    await expect((async () => { for (;;) if ((await reader.read()).done) return 'ended'; })()).resolves.toBe('ended');
    expect(m.leaderUrl()).toBe(m.standbyUrl);
    const redirect = await call(m, 'GET', '/v2/events', undefined, { accept: 'text/event-stream' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`${m.standbyUrl}/v2/events`);
    await waitUntil('deployment done through the old leader', async () => {
      const r = await call(m, 'GET', '/v2/apps/through-failover');
      expect(r.headers.get('x-marathon-leader')).toBe(m.standbyUrl);
      return r.json.app.tasksRunning === 1 && r.json.app.deployments.length === 0 ? r : undefined;
    });
    m.reelect();
    expect((await call(m, 'DELETE', '/v2/apps/through-failover')).status).toBe(200);
  }, 120_000);
});

describe('marathon stand-in: auth', () => {
  const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

  it('--http_credentials: every path, realm "Mesosphere", Jetty HTML 401, checked before the leader proxy', async () => {
    const m = await startMarathonStandin({ auth: { username: 'ci', password: 's3cret' } });
    try {
      for (const path of ['/ping', '/v2/events', '/v2/apps', '/v2/queue', '/nothing/here']) {
        for (const headers of [{}, basic('ci', 'wrong')] as Record<string, string>[]) {
          const r = await call(m, 'GET', path, undefined, { accept: 'text/event-stream', ...headers });
          expect(r.status).toBe(401);
          expect(r.headers.get('www-authenticate')).toBe('basic realm="Mesosphere"');
          expect(r.headers.get('content-type')).toMatch(/^text\/html/);
          expect(r.text).toContain('<title>Error 401 Unauthorized</title>');
        }
      }
      expect((await call(m, 'GET', '/ping', undefined, basic('ci', 's3cret'))).status).toBe(200);
      expect((await call(m, 'GET', '/v2/apps', undefined, basic('ci', 's3cret'))).json).toEqual({ apps: [] });
      // A standby asks for credentials before it redirects.
      expect((await call(m.standbyUrl, 'GET', '/v2/events', undefined, { accept: 'text/event-stream' })).status).toBe(401);
      const redirected = await call(m.standbyUrl, 'GET', '/v2/events', undefined, { accept: 'text/event-stream', ...basic('ci', 's3cret') });
      expect(redirected.status).toBe(302);
    } finally {
      await m.close();
    }
  });

  it('DC/OS token: the API wants Authorization: token=…, 401 JSON with the acsjwt challenge otherwise', async () => {
    const m = await startMarathonStandin({ token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
    try {
      for (const headers of [{}, { authorization: 'token=other' }, { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' }] as Record<string, string>[]) {
        const r = await call(m, 'GET', '/v2/apps', undefined, headers);
        expect(r.status).toBe(401);
        expect(r.json).toEqual({ message: 'Invalid username or password.' });
        expect(r.headers.get('www-authenticate')).toBe('acsjwt');
      }
      const ok = await call(m, 'GET', '/v2/apps', undefined, { authorization: 'token=eyJhbGciOiJSUzI1NiJ9.e30.c2ln' });
      expect(ok.json).toEqual({ apps: [] });
      expect((await call(m, 'GET', '/ping')).status).toBe(200);
    } finally {
      await m.close();
    }
  });
});

describe('marathon stand-in: routing and task states', () => {
  let m: MarathonStandin;
  let legacy: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin();
    legacy = await startMarathonStandin({ version: '1.4.11' });
  });
  afterAll(async () => {
    await m?.close();
    await legacy?.close();
  });

  it('unknown routes, repeated slashes, task routes under /v2/apps, defaults and refused readiness checks', async () => {
    const unknown = await call(m, 'GET', '/v2/nothing');
    expect(unknown.status).toBe(500);
    expect(unknown.json).toEqual({ message: 'URI not found' });
    expect((await call(legacy, 'GET', '/v2/nothing')).status).toBe(404);
    expect(m.unhandled).toEqual(['GET /v2/nothing']);
    m.unhandled.length = 0;

    expect((await call(m, 'GET', '//v2//apps')).json).toEqual({ apps: [] });

    const readiness = await call(m, 'POST', '/v2/apps', sleeper('/ready', { readinessChecks: [{ name: 'r', protocol: 'HTTP', path: '/' }] }));
    expect(readiness.status).toBe(422);
    expect(readiness.json.details).toEqual([{ path: '/readinessChecks', errors: ['marathon-standin does not evaluate readiness checks'] }]);

    expect((await call(m, 'POST', '/v2/apps', sleeper('/svc', { instances: 2 }))).status).toBe(201);
    expect((await call(legacy, 'POST', '/v2/apps', sleeper('/svc'))).json.unreachableStrategy).toEqual({ inactiveAfterSeconds: 900, expungeAfterSeconds: 604800 });
    const app = await waitUntil('two running tasks', async () => {
      const a = (await call(m, 'GET', '/v2/apps/svc')).json.app as Json;
      return a.tasksRunning === 2 && a.deployments.length === 0 ? a : undefined;
    });
    expect(app.unreachableStrategy).toEqual({ inactiveAfterSeconds: 300, expungeAfterSeconds: 600 });
    expect(m.events.filter((e) => e.eventType === 'status_update_event').map((e) => e.taskStatus)).toEqual(
      expect.arrayContaining(['TASK_STARTING', 'TASK_RUNNING']),
    );

    expect((await call(m, 'PUT', '/v2/apps/svc/tasks', { instances: 1 })).status).toBe(405);
    expect((await call(m, 'GET', '/v2/apps/svc/tasks')).json.tasks).toHaveLength(2);
    const tasks = (await call(m, 'GET', '/v2/apps/svc/tasks')).json.tasks as Json[];
    expect((await call(m, 'DELETE', '/v2/apps/svc/tasks/nope')).status).toBe(404);
    const one = await call(m, 'DELETE', `/v2/apps/svc/tasks/${tasks[0]!.id}`);
    expect(one.json.task.id).toBe(tasks[0]!.id);
    await waitUntil('replacement', async () => {
      const now = (await call(m, 'GET', '/v2/apps/svc/tasks')).json.tasks as Json[];
      return now.length === 2 && !now.some((t) => t.id === tasks[0]!.id) && now.every((t) => t.state === 'TASK_RUNNING') ? now : undefined;
    });
    const scaled = await call(m, 'DELETE', '/v2/apps/svc/tasks?scale=true&host=127.0.0.1');
    expect(Object.keys(scaled.json).sort()).toEqual(['deploymentId', 'version']);
    await waitUntil('scaled to 0', async () => {
      const a = (await call(m, 'GET', '/v2/apps/svc')).json.app as Json;
      return a.instances === 0 && a.tasksRunning === 0 && a.deployments.length === 0 ? a : undefined;
    });
    expect(m.unhandled).toEqual([]);
  }, 120_000);

  it('an unreachable agent: its tasks TASK_UNREACHABLE, not running, back to TASK_RUNNING when it returns', async () => {
    expect((await call(m, 'POST', '/v2/apps', sleeper('/part'))).status).toBe(201);
    await waitUntil('running', async () => ((await call(m, 'GET', '/v2/apps/part')).json.app.tasksRunning === 1 ? true : undefined));
    m.agentReachable('127.0.0.1', false);
    const t = ((await call(m, 'GET', '/v2/apps/part/tasks')).json.tasks as Json[])[0]!;
    expect(t.state).toBe('TASK_UNREACHABLE');
    expect((await call(m, 'GET', '/v2/apps/part')).json.app.tasksRunning).toBe(0);
    m.agentReachable('127.0.0.1', true);
    expect(((await call(m, 'GET', '/v2/apps/part/tasks')).json.tasks as Json[])[0]).toMatchObject({ id: t.id, state: 'TASK_RUNNING' });
  }, 60_000);
});

describe('marathon stand-in: tasks on named agents', () => {
  let m: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({
      agents: [
        { hostname: 'agent-1.marathon.test', ip: '127.0.0.2' },
        { hostname: 'agent-2.marathon.test', ip: '127.0.0.3' },
      ],
    });
  });
  afterAll(async () => {
    await m?.close();
  });

  it('spreads tasks over the agents: host is the agent name, ports published on its address, only for started tasks', async () => {
    const web = {
      id: '/web',
      instances: 2,
      cmd: 'echo ok > /var/www/index.html && exec httpd -f -p 8000 -h /var/www',
      cpus: 0.1,
      mem: 32,
      networks: [{ mode: 'container/bridge' }],
      container: { type: 'DOCKER', docker: { image: IMAGE }, portMappings: [{ containerPort: 8000, hostPort: 0 }] },
      healthChecks: [{ protocol: 'HTTP', path: '/', portIndex: 0, gracePeriodSeconds: 10, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
    };
    expect((await call(m, 'POST', '/v2/apps', web)).status).toBe(201);
    const staged = ((await call(m, 'GET', '/v2/apps/web/tasks')).json.tasks as Json[]).filter((t) => t.state === 'TASK_STAGING');
    for (const t of staged) expect(t.ports).toEqual([]);
    const tasks = await waitUntil('two healthy tasks', async () => {
      const a = (await call(m, 'GET', '/v2/apps/web?embed=app.tasks')).json.app as Json;
      return a.tasksHealthy === 2 && a.deployments.length === 0 ? (a.tasks as Json[]) : undefined;
    });
    expect(tasks.map((t) => t.host).sort()).toEqual(['agent-1.marathon.test', 'agent-2.marathon.test']);
    expect(new Set(tasks.map((t) => t.slaveId)).size).toBe(2);
    for (const t of tasks) {
      const res = await fetch(`http://${t.host as string}:${(t.ports as number[])[0]}/`);
      expect((await res.text()).trim()).toBe('ok');
      const other = t.host === 'agent-1.marathon.test' ? '127.0.0.3' : '127.0.0.2';
      await expect(fetch(`http://${other}:${(t.ports as number[])[0]}/`)).rejects.toThrow();
    }
    expect(m.events.filter((e) => e.eventType === 'status_update_event' && e.taskStatus === 'TASK_RUNNING').map((e) => e.host).sort()).toEqual([
      'agent-1.marathon.test',
      'agent-2.marathon.test',
    ]);
  }, 120_000);
});
