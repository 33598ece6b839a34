// Marathon REST API stand-in for tests: the endpoints a blue-green deployer uses, with the status codes,
// headers and bodies of docs/marathon-api.md, and tasks that are real containers on the local
// Docker engine (published on 127.0.0.1), really health-checked.
//
//   const marathon = await startMarathonStandin({ version: '1.10.0' });
//   ... point the adapter at marathon.url ...
//   expect(marathon.unhandled).toEqual([]);
//   await marathon.close();   // stops the server and removes every container it created

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { makeAgents, type AgentOptions } from './agents.js';
import { DockerRunner } from './docker-runner.js';
import { EventBus, type MarathonEvent } from './events.js';
import { Faults } from './faults.js';
import { featuresFor } from './features.js';
import { basicAuth, type BasicCredentials } from './auth.js';
import { Leadership } from './cluster.js';
import { Scheduler } from './scheduler.js';
import { createHandler, type RecordedRequest } from './server.js';
import { absoluteId } from './validation.js';

export type { MarathonEvent } from './events.js';
export type { AgentOptions } from './agents.js';
export type { RecordedRequest } from './server.js';

export interface MarathonStandinOptions {
  /** Emulated Marathon version: '1.10.0' (default); '1.4.11' for pre-1.5 payloads. */
  version?: string;
  /** `--http_credentials`: HTTP basic auth over every path (/ping and /v2/events too), realm "Mesosphere". */
  auth?: BasicCredentials;
  /** DC/OS: the API (not /ping) wants `Authorization: token=<token>`. */
  token?: string;
  /** Prefix of the container labels (default 'marathon-standin'). */
  labelPrefix?: string;
  /** Image for apps without container.docker (Mesos command tasks); default deployer-base/busybox:latest. */
  commandImage?: string;
  /** Mesos agents the tasks are placed on (default: one agent `127.0.0.1`, 16 cpus, 32 GiB). An app whose
   *  constraints, roles or resources no agent offers gets no tasks: its deployment never ends and
   *  GET /v2/queue says why the offers were declined. */
  agents?: AgentOptions[];
  /** How long a request waits for a leader before the no-leader answer (Marathon: ≈ 2.75 s). */
  noLeaderWaitMs?: number;
  /** SSE keepalive period; Jetty's is 10 s. */
  heartbeatIntervalMs?: number;
}

export interface MarathonStandin {
  /** http://127.0.0.1:<port> — the instance that is leader at start. */
  url: string;
  /** A second Marathon instance, standby at start: proxies to the leader, redirects /v2/events (≥1.7). */
  standbyUrl: string;
  /** URL of the current leader (of `url` while there is none). */
  leaderUrl(): string;
  /** Leader loss: no instance is leader (requests wait, then 503 ≤1.6 / 502 ≥1.7 with an HTML body; event
   *  streams are dropped). After `forMs` the old leader is re-elected, or the other instance with
   *  `then: 'other'`; without `forMs` until failover()/reelect(). */
  loseLeader(opts?: { forMs?: number; then?: 'same' | 'other' }): void;
  /** Leadership moves to the other instance now (the old leader becomes a standby). */
  failover(): void;
  /** Instance `url` is leader again. */
  reelect(): void;
  version: string;
  /** Stops the server, closes event streams and removes every container this stand-in created. */
  close(): Promise<void>;
  /** "METHOD /path?query" of requests to routes the stand-in does not implement (answered 404). */
  unhandled: string[];
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Every event published on the bus (what /v2/events subscribers could see), in order. */
  events: MarathonEvent[];
  /** Container label selecting this stand-in's containers: `<prefix>.instance=<id>` (for listContainers filters). */
  containerLabel: string;
  /** The next request with this method ('*' = any) whose path+query starts with pathPrefix gets `status` and
   *  `body` (default: JSON message; plain-text "Could not determine the current leader" for 502/503), once. */
  failNext(method: string, pathPrefix: string, status: number, body?: unknown): void;
  /** Abruptly closes every open /v2/events connection. */
  dropEventStreams(): void;
  /** While on, every health check fails and no deployment completes (Marathon never fails them itself). */
  hangDeployments(on: boolean): void;
  /** Starts a never-ending deployment on appId (PUT gets 409 "App is locked…"); returns its id. */
  lockApp(appId: string): string;
  /** Completes lockApp deployments on appId (deployment_success). */
  unlockApp(appId: string): void;
  /** While on, tasks carry no healthCheckResults (unknown ≠ healthy) and tasksHealthy is 0. */
  omitHealthResults(on: boolean): void;
  /** Docker errors the task loop survived (diagnosis). */
  errors: string[];
  /** The next `count` matching requests are answered only after `ms`. */
  delayNext(method: string, pathPrefix: string, ms: number, count?: number): void;
  /** The next matching request is carried out but its answer held until release() (or the client hangs up). */
  holdNext(method: string, pathPrefix: string): { received: Promise<void>; release: () => void };
  /** Every task reports this host and/or ports (hostile task data); undefined restores the real ones. */
  taskData(data: { host?: unknown; ports?: unknown } | undefined): void;
  /** While on, a deployment's tasks start failing their health checks the moment it succeeds. */
  flapAfterDeployment(on: boolean): void;
  /** The agent (by hostname) is partitioned away: its tasks become TASK_UNREACHABLE and it makes no offers;
   *  `true` brings it back. */
  agentReachable(hostname: string, reachable: boolean): void;
  /** Raw text for every event stream (malformed SSE): once on attach and/or before every event. */
  rawEvents(raw: { atAttach?: string; beforeEach?: string } | undefined): void;
}

export async function startMarathonStandin(opts: MarathonStandinOptions = {}): Promise<MarathonStandin> {
  const f = featuresFor(opts.version ?? '1.10.0');
  const labelPrefix = opts.labelPrefix ?? 'marathon-standin';
  const instanceId = randomBytes(6).toString('hex');
  const runner = new DockerRunner(labelPrefix, instanceId);
  try {
    await runner.docker.ping();
  } catch (e) {
    throw new Error(`marathon-standin: Docker engine not reachable (${(e as Error).message})`);
  }
  await runner.sweepOrphans().catch(() => undefined);

  const bus = new EventBus(opts.heartbeatIntervalMs ?? 10_000);
  const faults = new Faults();
  bus.raw = () => faults.sse;
  const agents = makeAgents(`standin-${instanceId}`, opts.agents);
  const scheduler = new Scheduler({
    f,
    runner,
    bus,
    faults,
    commandImage: opts.commandImage ?? 'deployer-base/busybox:latest',
    agents,
    containerNamePrefix: `${labelPrefix.replace(/[^a-zA-Z0-9_.-]/g, '-')}-${instanceId}`,
  });
  const requests: RecordedRequest[] = [];
  const unhandled: string[] = [];
  const leadership = new Leadership(f);
  if (opts.noLeaderWaitMs !== undefined) leadership.waitMs = opts.noLeaderWaitMs;
  leadership.onAbdicate = () => bus.dropAll();
  const handler = createHandler({
    f,
    scheduler,
    bus,
    faults,
    ...(opts.token !== undefined ? { token: opts.token } : {}),
    requests,
    unhandled,
    hostPort: () => leadership.leaderHostPort(),
  });
  const servers = ([0, 1] as const).map((i) =>
    http.createServer((req, res) => {
      if (basicAuth(opts.auth, req, res)) void leadership.filter(i, req, res, () => handler(req, res));
    }),
  );
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    leadership.hostPorts[i] = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const hostPort = leadership.hostPorts[0];
  scheduler.start();

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPort}`,
    standbyUrl: `http://${leadership.hostPorts[1]}`,
    leaderUrl: () => `http://${leadership.leaderHostPort()}`,
    loseLeader(o = {}) {
      const next = leadership.leader === null ? 0 : o.then === 'other' ? ((1 - leadership.leader) as 0 | 1) : leadership.leader;
      leadership.lose(o.forMs, next);
    },
    failover: () => leadership.elect(leadership.leader === 1 ? 0 : 1),
    reelect: () => leadership.elect(0),
    version: f.version,
    unhandled,
    requests,
    events: bus.history,
    containerLabel: `${runner.instanceLabel}=${instanceId}`,
    errors: scheduler.errors,
    close() {
      closing ??= (async () => {
        bus.closeAll();
        leadership.close();
        const stopped = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
        for (const server of servers) server.closeAllConnections();
        try {
          await scheduler.close();
        } finally {
          await runner.removeAll().catch(() => undefined);
          await stopped;
        }
      })();
      return closing;
    },
    failNext: (method, pathPrefix, status, body) => faults.failNext(method, pathPrefix, status, body),
    dropEventStreams: () => bus.dropAll(),
    hangDeployments(on) {
      faults.hang = on;
      scheduler.kick();
    },
    lockApp: (appId) => scheduler.lock(absoluteId(appId)),
    unlockApp(appId) {
      scheduler.unlock(absoluteId(appId));
    },
    omitHealthResults(on) {
      faults.omitHealthResults = on;
    },
    delayNext: (method, pathPrefix, ms, count) => faults.delayNext(method, pathPrefix, ms, count),
    holdNext: (method, pathPrefix) => faults.holdNext(method, pathPrefix),
    taskData(data) {
      faults.taskData = data;
    },
    flapAfterDeployment(on) {
      faults.flap = on;
      if (!on) faults.hang = false;
    },
    agentReachable: (hostname, reachable) => scheduler.setAgentReachable(hostname, reachable),
    rawEvents(raw) {
      faults.sse = raw;
    },
  };
}
