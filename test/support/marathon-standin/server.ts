// HTTP layer: request log, injected failures, basic auth, routing, JSON bodies and status codes
// (docs/marathon-api.md §1–§6). Anything not routed here answers 404 JSON and is recorded in `unhandled`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { jetty405, type EventBus } from './events.js';
import type { Faults } from './faults.js';
import type { Features } from './features.js';
import { appInfoJson, deploymentJson, parseEmbeds, taskJson, type Embeds, type RenderContext } from './render.js';
import type { ApiContext, Scheduler } from './scheduler.js';
import type { AppRecord, HttpError } from './types.js';
import { absoluteId, readApp, type ValidatedApp } from './validation.js';
import { isObject, requestUrl } from './util.js';
import { queueItemJson } from './queue.js';
import { tokenAuth } from './auth.js';

export interface RecordedRequest {
  method: string;
  /** Path and query string as sent. */
  path: string;
  /** Parsed JSON when the body was JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
}

export interface ServerDeps {
  f: Features;
  scheduler: Scheduler;
  bus: EventBus;
  faults: Faults;
  /** DC/OS token the auth plugin accepts (`Authorization: token=<token>`). */
  token?: string;
  requests: RecordedRequest[];
  unhandled: string[];
  /** "127.0.0.1:port", known once listening. */
  hostPort: () => string;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers });
const fromError = (e: HttpError): Reply => json(e.status, e.body);
const isError = (x: unknown): x is HttpError => isObject(x) && typeof x.status === 'number' && 'body' in x;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `force` style flags: present without value or "true" (case-insensitive). */
function flag(q: URLSearchParams, name: string, dflt: boolean): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return v === '' || v.toLowerCase() === 'true';
}

/** Label selector of GET /v2/apps?label= : `k`, `!k`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, comma = and. */
function matchesLabels(labels: Record<string, string>, selector: string): boolean {
  const terms = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  return terms.every((raw) => {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const values = (m[3] ?? '').split(',').map((s) => s.trim());
      const v = labels[m[1] ?? ''];
      return m[2] === 'in' ? v !== undefined && values.includes(v) : v === undefined || !values.includes(v);
    }
    if ((m = /^(\S+?)\s*(==|!=)\s*(.*)$/.exec(term))) {
      const v = labels[m[1] ?? ''];
      return m[2] === '==' ? v === m[3] : v !== m[3];
    }
    if (term.startsWith('!')) return labels[term.slice(1)] === undefined;
    return labels[term] !== undefined;
  });
}

export function createHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { f, scheduler, bus, faults } = deps;
  const ctx = (): RenderContext => ({ f, omitHealthResults: faults.omitHealthResults, ...(faults.taskData ? { taskData: faults.taskData } : {}) });
  const leaderHeader = (): Record<string, string> => ({ 'X-Marathon-Leader': `http://${deps.hostPort()}` });

  function send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...leaderHeader(), ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
    } else if (typeof reply.body === 'string') {
      res.writeHead(reply.status, { 'Content-Type': 'text/plain', ...headers }).end(reply.body);
    } else {
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(reply.body));
    }
  }

  function appJsonList(apps: AppRecord[], embed: Embeds): Record<string, unknown>[] {
    return apps.map((a) => appInfoJson(a, scheduler.deploymentIdsFor(a.def.id), embed, ctx()));
  }

  function deploymentResult(d: { id: string; version: string }, status = 200, extra: Record<string, string> = {}): Reply {
    const headers = f.v14 ? { 'Marathon-Deployment-Id': d.id, ...extra } : extra;
    return json(status, { deploymentId: d.id, version: d.version }, headers);
  }

  /** Parses a JSON request body the way Marathon's Jackson/Play layer answers (§6). */
  function parseJsonBody(req: IncomingMessage, text: string): { value: unknown } | Reply {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type && type !== 'application/json') return json(415, { message: 'Unsupported Media Type' });
    if (!text.trim()) return json(400, { message: 'Please specify data in JSON format', details: 'No content to map due to end-of-input' });
    try {
      return { value: JSON.parse(text) };
    } catch (e) {
      return json(400, { message: 'Invalid JSON', details: (e as Error).message });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, text: string): Promise<Reply | 'streaming'> {
    const method = req.method ?? 'GET';
    // Jetty compacts repeated slashes before routing (`//v2//apps` is `/v2/apps`).
    const compact = url.pathname.replace(/\/{2,}/g, '/');
    const path = compact.length > 1 ? compact.replace(/\/+$/, '') : compact;
    const q = url.searchParams;
    const api: ApiContext = { clientIp: req.socket.remoteAddress ?? '', uri: path };

    if (path === '/ping' && (method === 'GET' || method === 'HEAD')) {
      const wantsJson = /application\/json/.test(req.headers.accept ?? '') && !/text\/plain/.test(req.headers.accept ?? '');
      if (wantsJson && !f.legacyApps) return { status: 200, body: '"pong"', headers: { 'Content-Type': 'application/json' } };
      return { status: 200, body: f.legacyApps ? 'pong\n' : 'pong', headers: { 'Content-Type': 'text/plain' } };
    }
    if (path === '/v2/info' && method === 'GET') return json(200, info(f, deps.hostPort()));
    if (path === '/v2/leader' && method === 'GET') return json(200, { leader: deps.hostPort() });

    if (path === '/v2/events' && method === 'GET') {
      const accepts = req.headersDistinct.accept ?? [];
      if (!accepts.includes('text/event-stream'))
        return { status: 405, body: jetty405(path), headers: { 'Content-Type': 'text/html;charset=ISO-8859-1' } };
      const light = f.lightPlanDefault || (f.lightPlanAccepted && q.get('plan-format') === 'light');
      for (const [k, v] of Object.entries(leaderHeader())) res.setHeader(k, v);
      bus.attach(req, res, { types: q.getAll('event_type'), light });
      return 'streaming';
    }

    if (path === '/v2/apps' && method === 'GET') {
      const embed = parseEmbeds(q.getAll('embed'), { counts: true, deployments: true });
      const idFilter = q.get('id')?.toLowerCase();
      const cmdFilter = q.get('cmd');
      const label = q.get('label');
      const apps = [...scheduler.apps.values()]
        .filter((a) => !idFilter || a.def.id.toLowerCase().includes(idFilter))
        .filter((a) => !cmdFilter || (a.def.cmd ?? '').includes(cmdFilter))
        .filter((a) => !label || matchesLabels(a.def.labels, label))
        .sort((a, b) => a.def.id.localeCompare(b.def.id));
      return json(200, { apps: appJsonList(apps, embed) });
    }
    if (path === '/v2/apps' && method === 'POST') {
      const parsed = parseJsonBody(req, text);
      if (!('value' in parsed)) return parsed;
      const v = readApp(f, parsed.value, { method: 'POST' });
      if (isError(v)) return fromError(v);
      const r = scheduler.create(v as ValidatedApp, flag(q, 'force', false), api);
      if (isError(r)) return fromError(r);
      const body = appInfoJson(r.app, [r.deployment.id], { tasks: f.legacyApps, counts: true, deployments: true, lastTaskFailure: false, readiness: false }, ctx());
      const location = f.legacyApps ? `http://${deps.hostPort()}/v2/apps${r.app.def.id}` : `http://${deps.hostPort()}${r.app.def.id}`;
      return json(201, body, { Location: location, ...(f.v14 ? { 'Marathon-Deployment-Id': r.deployment.id } : {}) });
    }

    const appMatch = /^\/v2\/apps(\/.+)$/.exec(path);
    if (appMatch) {
      const rest = appMatch[1] ?? '';
      // {appId:.+}/tasks and {appId:.+}/tasks/{taskId} go to the task endpoints whatever the method
      // (src/main/scala/mesosphere/marathon/api/v2/AppTasksResource.scala): GET, DELETE; others 405.
      const tasksMatch = /^(.+)\/tasks(?:\/([^/]+))?$/.exec(rest);
      if (tasksMatch) {
        const id = tasksMatch[1] ?? '';
        const taskId = tasksMatch[2] === undefined ? undefined : decodeURIComponent(tasksMatch[2]);
        const app = scheduler.apps.get(id);
        if (method === 'GET' && taskId === undefined) {
          if (!app) return json(404, { message: `App '${id}' does not exist` });
          return json(200, { tasks: app.tasks.map((t) => taskJson(t, ctx(), !f.ramlTasks)) });
        }
        if (method !== 'DELETE') return json(405, { message: 'HTTP 405 Method Not Allowed' });
        if (!app) return json(404, { message: `App '${id}' does not exist` });
        const host = q.get('host');
        const victims = app.tasks.filter((t) => !t.killing && (taskId === undefined ? !host || t.host === host : t.id === taskId));
        if (taskId !== undefined && !victims.length) return json(404, { message: `Task '${taskId}' does not exist` });
        const shown = victims.map((t) => taskJson(t, ctx(), true));
        const r = scheduler.killTasks(app, victims, flag(q, 'scale', false), flag(q, 'force', false));
        if (isError(r)) return fromError(r);
        if (r) return deploymentResult(r);
        return json(200, taskId === undefined ? { tasks: shown } : { task: shown[0] });
      }
      if (method === 'GET' && rest.endsWith('/*')) {
        const prefix = rest.slice(0, -2);
        const apps = [...scheduler.apps.values()].filter((a) => a.def.id.startsWith(`${prefix}/`));
        if (!apps.length) return json(404, { message: `Group '${prefix}' does not exist` });
        return json(200, { '*': appJsonList(apps, parseEmbeds(q.getAll('embed'), { counts: true, deployments: true })) });
      }
      if (/\/(versions|restart)(\/|$)/.test(rest)) return unhandled(method, url);
      const id = rest;
      if (method === 'GET') {
        const app = scheduler.apps.get(id);
        if (!app) return json(404, { message: `App '${id}' does not exist` });
        const embed = parseEmbeds(q.getAll('embed'), { counts: true, tasks: true, deployments: true, lastTaskFailure: true });
        return json(200, { app: appJsonList([app], embed)[0] });
      }
      if (method === 'PUT') {
        const parsed = parseJsonBody(req, text);
        if (!('value' in parsed)) return parsed;
        const force = flag(q, 'force', false);
        const existing = scheduler.apps.get(id);
        const partial = flag(q, 'partialUpdate', true);
        const v = readApp(f, parsed.value, {
          method: 'PUT',
          pathId: absoluteId(id),
          ...(existing && partial ? { mergeOnto: existing.raw } : {}),
        });
        if (isError(v)) return fromError(v);
        if ('rollbackTo' in v) {
          const d = scheduler.rollback(id, v.rollbackTo, force);
          return isError(d) ? fromError(d) : deploymentResult(d);
        }
        const r = scheduler.update(v as ValidatedApp, force, api);
        if (isError(r)) return fromError(r);
        const location = { Location: `http://${deps.hostPort()}/v2/apps${id}` };
        return r.created ? deploymentResult(r.deployment, 201, location) : deploymentResult(r.deployment);
      }
      if (method === 'DELETE') {
        const d = scheduler.destroy(id, flag(q, 'force', true));
        return isError(d) ? fromError(d) : deploymentResult(d);
      }
    }

    if (path === '/v2/queue' && method === 'GET') {
      const withLastUnused = q.getAll('embed').includes('lastUnusedOffers');
      const queued = [...scheduler.apps.values()].filter((a) => a.launch && a.launch.leftToLaunch > 0);
      return json(200, { queue: queued.map((a) => queueItemJson(a, a.launch!, f, withLastUnused)) });
    }
    const delayMatch = /^\/v2\/queue(\/.+)\/delay$/.exec(path);
    if (delayMatch && method === 'DELETE') {
      // follows src/main/scala/mesosphere/marathon/api/v2/QueueResource.scala (resetDelay)
      const id = absoluteId(delayMatch[1] ?? '');
      const app = scheduler.apps.get(id);
      if (!app?.launch) return json(404, { message: `Application ${id} not found in tasks queue.` });
      scheduler.resetDelay(app);
      return { status: 204 };
    }
    if (path === '/v2/tasks' && method === 'GET') {
      const statuses = [...q.getAll('status'), ...q.getAll('status[]')].map((s) => `TASK_${s.toUpperCase()}`);
      const tasks = [...scheduler.apps.values()].flatMap((a) => a.tasks).filter((t) => !statuses.length || statuses.includes(t.state));
      return json(200, { tasks: tasks.map((t) => taskJson(t, ctx(), true)) });
    }
    if (path === '/v2/tasks/delete' && method === 'POST') {
      // follows src/main/scala/mesosphere/marathon/api/v2/TasksResource.scala (killTasks): {"ids":[…]}
      const parsed = parseJsonBody(req, text);
      if (!('value' in parsed)) return parsed;
      const ids = isObject(parsed.value) && Array.isArray(parsed.value.ids) ? (parsed.value.ids as unknown[]).map(String) : [];
      const apps = [...scheduler.apps.values()].filter((a) => a.tasks.some((t) => ids.includes(t.id)));
      const scale = flag(q, 'scale', false);
      const killed = apps.flatMap((a) => a.tasks.filter((t) => ids.includes(t.id) && !t.killing));
      const shown = killed.map((t) => taskJson(t, ctx(), true));
      let last: Reply | undefined;
      for (const a of apps) {
        const r = scheduler.killTasks(a, killed.filter((t) => t.appId === a.def.id), scale, flag(q, 'force', false));
        if (isError(r)) return fromError(r);
        if (r) last = deploymentResult(r);
      }
      return scale && last ? last : json(200, { tasks: shown });
    }
    if (path === '/v2/deployments' && method === 'GET') {
      return json(200, [...scheduler.deployments.values()].map((d) => deploymentJson(d, f)));
    }
    const depMatch = /^\/v2\/deployments\/([^/]+)$/.exec(path);
    if (depMatch && method === 'DELETE') {
      const r = scheduler.cancelDeployment(decodeURIComponent(depMatch[1] ?? ''), flag(q, 'force', false));
      if (isError(r)) return fromError(r);
      if (!r.rollback) return { status: 202 };
      return deploymentResult(r.rollback);
    }
    return unhandled(method, url);
  }

  /** Routes real Marathon has (only some are implemented here); anything else is an unknown URI. */
  const MARATHON_ROUTE = /^\/(ping|metrics|logging|help|v2\/(apps|groups|pods|tasks|deployments|queue|events|eventSubscriptions|info|leader|plugins|artifacts|schemas)(\/|$))/;

  /** Recorded in `unhandled` either way: a known Marathon route the stand-in lacks answers 404 saying so; a route
   *  Marathon does not have answers as Marathon does (500 "URI not found" from 1.6, inference 404 before). */
  function unhandled(method: string, url: URL): Reply {
    const what = `${method} ${url.pathname}${url.search}`;
    deps.unhandled.push(what);
    if (!MARATHON_ROUTE.test(url.pathname.replace(/\/{2,}/g, '/'))) return json(f.unknownRouteStatus, { message: 'URI not found' });
    return json(404, { message: `marathon-standin does not implement ${what}` });
  }

  return (req, res) => {
    void (async () => {
      const url = requestUrl(req.url);
      const text = await readBody(req);
      let body: unknown;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const method = req.method ?? 'GET';
      deps.requests.push({ method, path: `${url.pathname}${url.search}`, body });
      const delay = faults.takeDelay(method, `${url.pathname}${url.search}`);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const injected = faults.take(method, `${url.pathname}${url.search}`);
      if (injected) return send(res, { status: injected.status, body: injected.body });
      const denied = url.pathname === '/ping' ? undefined : tokenAuth(deps.token, req);
      if (denied) return send(res, denied);
      const reply = await route(req, res, url, text);
      const hold = reply === 'streaming' ? undefined : faults.takeHold(method, `${url.pathname}${url.search}`);
      if (hold) {
        hold.hit();
        await Promise.race([hold.released, new Promise((r) => res.once('close', r))]);
        if (res.destroyed || res.writableEnded) return;
      }
      if (reply !== 'streaming') send(res, reply);
    })().catch((e: unknown) => {
      if (!res.headersSent) send(res, json(500, { message: `marathon-standin internal error: ${(e as Error).stack ?? String(e)}` }));
      else res.destroy();
    });
  };
}

function info(f: Features, hostPort: string): Record<string, unknown> {
  const port = Number(hostPort.split(':')[1]);
  return {
    name: 'marathon',
    version: f.version,
    buildref: 'marathon-standin',
    elected: true,
    leader: hostPort,
    frameworkId: 'standin-framework-0000',
    marathon_config: {
      access_control_allow_origin: ['*'],
      checkpoint: true,
      decline_offer_duration: 120000,
      default_network_name: 'container-network',
      env_vars_prefix: 'APP',
      executor: '//cmd',
      failover_timeout: 604800,
      features: [],
      framework_name: 'marathon',
      ha: true,
      hostname: '127.0.0.1',
      launch_token: 100,
      launch_token_refresh_interval: 30000,
      leader_proxy_connection_timeout_ms: 5000,
      leader_proxy_read_timeout_ms: 10000,
      local_port_max: 20000,
      local_port_min: 10000,
      master: 'zk://localhost:2181/mesos',
      max_instances_per_offer: 5,
      mesos_bridge_name: 'mesos-bridge',
      mesos_heartbeat_failure_threshold: 5,
      mesos_heartbeat_interval: 15000,
      mesos_leader_ui_url: 'http://localhost:5050/',
      mesos_role: '*',
      mesos_user: 'root',
      min_revive_offers_interval: 5000,
      offer_matching_timeout: 3000,
      on_elected_prepare_timeout: 180000,
      reconciliation_initial_delay: 15000,
      reconciliation_interval: 600000,
      scale_apps_initial_delay: 15000,
      scale_apps_interval: 300000,
      store_cache: true,
      task_launch_confirm_timeout: 300000,
      task_launch_timeout: 300000,
      task_lost_expunge_initial_delay: 300000,
      task_lost_expunge_interval: 30000,
      task_reservation_timeout: 20000,
      webui_url: `http://${hostPort}`,
    },
    zookeeper_config: {
      zk: 'zk://localhost:2181/marathon',
      zk_compression: true,
      zk_compression_threshold: 65536,
      zk_connection_timeout: 10000,
      zk_max_node_size: 1024000,
      zk_max_versions: 50,
      zk_session_timeout: 10000,
      zk_timeout: 10000,
    },
    http_config: { http_port: port, https_port: 8443 },
  };
}
