// Health checks (docs/marathon-api.md §1.3): really probes each running task through its agent-address published
// port (HTTP/HTTPS/TCP and their MESOS_ variants) or `docker exec` (COMMAND). Result bookkeeping follows
// Marathon: failures are ignored during gracePeriodSeconds until the first success, `alive` flips on every
// result, HTTP passes on 200–399, and maxConsecutiveFailures consecutive failures kill the task
// (0 = never for Marathon-level checks, after the first failure for Mesos-level ones).

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { DockerRunner } from './docker-runner.js';
import type { HealthCheck, HealthResult, TaskRecord } from './types.js';
import { isoNow } from './util.js';

export type ProbeOutcome = { ok: true } | { ok: false; cause: string };

const MESOS = new Set(['COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP']);

export function isMesosCheck(h: HealthCheck): boolean {
  return MESOS.has(h.protocol);
}

/** The host port a check talks to: `port`, else `ports[portIndex]` of the task. */
export function checkPort(h: HealthCheck, task: TaskRecord): number | undefined {
  if (h.port !== undefined) return h.port;
  return task.ports[h.portIndex ?? 0];
}

function errorCause(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ECONNREFUSED') return 'ConnectException: Connection refused';
  if (err.code === 'ECONNRESET') return 'IOException: Connection reset by peer';
  return `${err.code ?? 'Error'}: ${err.message}`;
}

function httpProbe(host: string, secure: boolean, port: number, path: string, timeoutMs: number, ignore1xx: boolean): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const mod = secure ? https : http;
    const req = mod.get(
      { host, port, path, timeout: timeoutMs, agent: false, ...(secure ? { rejectUnauthorized: false } : {}) },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        if ((code >= 200 && code < 400) || (ignore1xx && code < 200)) resolve({ ok: true });
        else resolve({ ok: false, cause: `${code} ${res.statusMessage ?? ''}`.trim() });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'TimeoutException' })));
    req.on('error', (e) => resolve({ ok: false, cause: errorCause(e) }));
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(timeoutMs, () => sock.destroy(Object.assign(new Error('connect timed out'), { code: 'TimeoutException' })));
    sock.once('connect', () => (sock.destroy(), resolve({ ok: true })));
    sock.once('error', (e) => resolve({ ok: false, cause: errorCause(e) }));
  });
}

export async function probe(h: HealthCheck, task: TaskRecord, runner: DockerRunner): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(h.timeoutSeconds, 1) * 1000;
  if (h.protocol === 'COMMAND' || h.command) {
    if (!task.containerId) return { ok: false, cause: 'task has no container' };
    try {
      const code = await runner.exec(task.containerId, h.command?.value ?? 'true', timeoutMs);
      return code === 0 ? { ok: true } : { ok: false, cause: `Command exited with status ${code}` };
    } catch (e) {
      return { ok: false, cause: errorCause(e) };
    }
  }
  const port = checkPort(h, task);
  if (port === undefined) return { ok: false, cause: 'no port for this health check' };
  if (h.protocol.endsWith('TCP')) return tcpProbe(task.agentIp, port, timeoutMs);
  return httpProbe(task.agentIp, h.protocol.endsWith('HTTPS'), port, h.path ?? '/', timeoutMs, h.ignoreHttp1xx ?? false);
}

export interface ResultUpdate {
  /** undefined when the failure was ignored (grace period before the first success). */
  result?: HealthResult;
  aliveChanged: boolean;
  kill: boolean;
}

/** Marathon's bookkeeping for one probe outcome (HealthCheckActor + Health). */
export function applyOutcome(h: HealthCheck, task: TaskRecord, prev: HealthResult | undefined, outcome: ProbeOutcome): ResultUpdate {
  const now = isoNow();
  const wasAlive = prev?.alive ?? false;
  if (outcome.ok) {
    const result: HealthResult = {
      alive: true,
      consecutiveFailures: 0,
      firstSuccess: prev?.firstSuccess ?? now,
      lastSuccess: now,
      lastFailure: prev?.lastFailure ?? null,
      lastFailureCause: prev?.lastFailureCause ?? null,
    };
    return { result, aliveChanged: !wasAlive, kill: false };
  }
  const startedMs = task.startedAt ? Date.parse(task.startedAt) : Date.now();
  const inGrace = Date.now() - startedMs < h.gracePeriodSeconds * 1000 && !prev?.firstSuccess;
  if (inGrace) return { aliveChanged: false, kill: false };
  const result: HealthResult = {
    alive: false,
    consecutiveFailures: (prev?.consecutiveFailures ?? 0) + 1,
    firstSuccess: prev?.firstSuccess ?? null,
    lastSuccess: prev?.lastSuccess ?? null,
    lastFailure: now,
    lastFailureCause: outcome.cause,
  };
  const limit = isMesosCheck(h) ? Math.max(h.maxConsecutiveFailures, 1) : h.maxConsecutiveFailures;
  return { result, aliveChanged: wasAlive, kill: limit > 0 && result.consecutiveFailures >= limit };
}

export interface HealthHooks {
  /** Fault: hangDeployments — every probe fails. */
  forcedFailure(): string | undefined;
  onOutcome(task: TaskRecord, index: number, outcome: ProbeOutcome): void;
}

/** Runs each check of each running task on its own timer (first probe after intervalSeconds; Mesos checks
 *  after delaySeconds), until stopped. */
export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout[]>();

  constructor(
    private readonly runner: DockerRunner,
    private readonly hooks: HealthHooks,
  ) {}

  start(task: TaskRecord): void {
    if (this.timers.has(task.id) || !task.def.healthChecks.length) return;
    const handles: NodeJS.Timeout[] = [];
    this.timers.set(task.id, handles);
    task.def.healthChecks.forEach((h, i) => {
      const interval = Math.max(h.intervalSeconds * 1000, 200);
      const first = isMesosCheck(h) ? (h.delaySeconds ?? 15) * 1000 : interval;
      const run = async (): Promise<void> => {
        const startedAt = Date.now();
        const forced = this.hooks.forcedFailure();
        const outcome: ProbeOutcome = forced !== undefined ? { ok: false, cause: forced } : await probe(h, task, this.runner);
        if (!this.timers.has(task.id)) return;
        this.hooks.onOutcome(task, i, outcome);
        if (!this.timers.has(task.id)) return;
        const t = setTimeout(run, Math.max(0, interval - (Date.now() - startedAt)));
        t.unref();
        handles[i] = t;
      };
      const t = setTimeout(run, first);
      t.unref();
      handles[i] = t;
    });
  }

  stop(taskId: string): void {
    for (const t of this.timers.get(taskId) ?? []) clearTimeout(t);
    this.timers.delete(taskId);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }
}
