import { request } from 'node:http';
import type { HealthCheckSpec } from '../../core/deploy/spec.js';
import type { InstanceState } from '../../core/deploy/environment.js';
import type { Clock } from '../../ports/clock.js';

// One HTTP health probe: GET <path> on host:port, healthy on 2xx/3xx (Marathon's rule for HTTP
// checks). A fresh connection per probe, so a stuck keep-alive socket never hides a dead app.

export interface ProbeResult {
  ok: boolean;
  status?: number;
  /** The start of the body, for diagnosis. */
  body?: string;
  /** Transport failure: ECONNREFUSED, ECONNRESET, timeout. */
  error?: string;
}

const BODY_SNIPPET = 200;

export function probeHttp(host: string, port: number, path: string, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = request({ host, port, path, method: 'GET', agent: false, headers: { 'user-agent': 'deployer-health' }, ...(signal ? { signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, BODY_SNIPPET);
        done({ ok: status >= 200 && status < 400, status, body });
      };
      res.on('data', (c: Buffer) => {
        if (size < BODY_SNIPPET) chunks.push(c);
        size += c.length;
        if (size >= BODY_SNIPPET) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs}ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code && e.code !== 'ERR_SOCKET_TIMEOUT' ? e.code : e.message }));
    req.end();
  });
}

/** `200`, `500 "Internal Server Error"`, `ECONNREFUSED`. */
export function describeProbe(r: ProbeResult | undefined): string {
  if (!r) return 'not probed yet';
  if (r.error) return r.error;
  const body = (r.body ?? '').replace(/\s+/g, ' ').trim();
  return body ? `${r.status} ${JSON.stringify(body.length > 80 ? `${body.slice(0, 80)}…` : body)}` : String(r.status);
}

/**
 * The health gate every scheduler that probes for itself (docker, swarm) applies during deploy:
 * healthy on a 2xx/3xx answer; unhealthy after maxConsecutiveFailures failed probes in a row, which
 * only count once the grace period is over (Marathon's rule); starting until then.
 */
export class HealthGate {
  private readonly failures = new Map<string, number>();
  private readonly probes = new Map<string, ProbeResult>();

  constructor(private readonly hc: HealthCheckSpec, private readonly clock: Clock, private readonly graceUntil: number) {}

  /** The last probe of an instance, for a round in which it could not be probed. */
  last(id: string): ProbeResult | undefined {
    return this.probes.get(id);
  }

  async check(id: string, host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<{ probe: ProbeResult; state: InstanceState }> {
    const probe = await probeHttp(host, port, this.hc.path, timeoutMs, signal);
    this.probes.set(id, probe);
    if (probe.ok) {
      this.failures.set(id, 0);
      return { probe, state: 'healthy' };
    }
    const n = this.clock.now().getTime() >= this.graceUntil ? (this.failures.get(id) ?? 0) + 1 : 0;
    this.failures.set(id, n);
    return { probe, state: n >= Math.max(1, this.hc.maxConsecutiveFailures) ? 'unhealthy' : 'starting' };
  }
}

/** The first pause between health rounds; later pauses double up to the check's interval. */
export const FIRST_ROUND_MS = 100;

/**
 * The end of one health round, the same for every scheduler that probes its instances itself
 * (docker, swarm): "n/m healthy" once per change, then a sleep until the next round. Rounds start
 * FIRST_ROUND_MS apart and double up to intervalMs: a just-started app listens within moments, and a
 * whole interval (2 s by default) after a first round that came a little early was most of a
 * deploy, more likely the more instances must all be up. Resolves false once the deadline has
 * passed (the caller then reports the diagnosis).
 */
export function healthRounds(clock: Clock, deadline: number, intervalMs: number, progress?: (message: string) => void) {
  let lastReport = '';
  let pauseMs = Math.min(FIRST_ROUND_MS, intervalMs);
  return async (healthy: number, wanted: number, signal: AbortSignal): Promise<boolean> => {
    const report = `${healthy}/${wanted} healthy`;
    if (report !== lastReport) progress?.(report);
    lastReport = report;
    const left = deadline - clock.now().getTime();
    if (left <= 0) return false;
    await clock.sleep(Math.min(pauseMs, left), signal);
    pauseMs = Math.min(pauseMs * 2, intervalMs);
    return true;
  };
}
