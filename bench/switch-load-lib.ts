// Constant HTTP load through nginx while switches run, classifying every response. Shared by the
// benchmark script (bench/switch-load.ts) and the bounded integration test.
//
// Two kinds of clients, each a loop with one request in flight and no think time:
// - fresh: a new TCP connection per request (agent: false), like most load balancers' health
//   checkers and many API clients; the acceptance is zero failures for these.
// - keep-alive: one reused connection per client and NO retry, like a naive client library; a
//   reload races with requests sent on idle connections the old worker is closing.
//
// A response is mis-served when its X-Revision is neither side of the switch in progress (or of
// the last one) at the moment the request was sent, or when it is not a 2xx.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface GroupSpec {
  name: string;
  url: string;
  clients: number;
  keepAlive: boolean;
  /** keep-alive only: after this many requests on the connection, stay idle for idleMs (0: never idle). */
  burst?: number;
  idleMs?: number;
}

export interface GroupStats {
  name: string;
  keepAlive: boolean;
  clients: number;
  requests: number;
  ok: number;
  /** Connection errors, timeouts and non-2xx. */
  failed: number;
  misServed: number;
  errors: Record<string, number>;
  byRevision: Record<string, number>;
  /** A few examples of failures, for diagnosis. */
  examples: string[];
  /** Request latencies in ms, apart for requests sent while a switch was running. */
  latency: { quiet: number[]; switching: number[] };
}

export interface Load {
  /** A switch from → to starts: both are acceptable for requests sent from now on. */
  switching(from: string, to: string): void;
  /** The switch in progress has ended (its requests' latencies count as quiet again). */
  settled(): void;
  stop(): Promise<GroupStats[]>;
}

function get(url: string, agent: Agent | false, timeoutMs: number): Promise<{ status: number; revision: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { 'User-Agent': 'deployer-switch-load' } }, (res) => {
      res.resume();
      res.on('error', reject);
      res.on('end', () => {
        const h = res.headers['x-revision'];
        resolve({ status: res.statusCode ?? 0, revision: Array.isArray(h) ? h[0] : h });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`timeout after ${timeoutMs}ms`), { code: 'TIMEOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export function startLoad(groups: readonly GroupSpec[], initialLive: string, opts: { timeoutMs?: number } = {}): Load {
  let allowed = new Set([initialLive]);
  let inSwitch = false;
  let stopping = false;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const stats: GroupStats[] = [];
  const loops: Promise<void>[] = [];
  const agents: Agent[] = [];
  for (const g of groups) {
    const s: GroupStats = { name: g.name, keepAlive: g.keepAlive, clients: g.clients, requests: 0, ok: 0, failed: 0, misServed: 0, errors: {}, byRevision: {}, examples: [], latency: { quiet: [], switching: [] } };
    stats.push(s);
    for (let i = 0; i < g.clients; i++) {
      const agent = g.keepAlive ? new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 }) : false;
      if (agent) agents.push(agent);
      loops.push((async () => {
        let sent = 0;
        while (!stopping) {
          const acceptable = allowed;
          const during = inSwitch;
          s.requests++;
          if (g.burst && ++sent % g.burst === 0) await new Promise((r) => setTimeout(r, g.idleMs ?? 0));
          try {
            const t0 = performance.now();
            const r = await get(g.url, agent, timeoutMs);
            (during || inSwitch ? s.latency.switching : s.latency.quiet).push(performance.now() - t0);
            const rev = r.revision ?? '(none)';
            s.byRevision[rev] = (s.byRevision[rev] ?? 0) + 1;
            if (r.status < 200 || r.status > 299) {
              s.failed++;
              s.errors[`HTTP ${r.status}`] = (s.errors[`HTTP ${r.status}`] ?? 0) + 1;
              if (s.examples.length < 5) s.examples.push(`HTTP ${r.status} revision ${rev}`);
            } else if (!acceptable.has(rev)) {
              s.misServed++;
              if (s.examples.length < 5) s.examples.push(`mis-served ${rev}, expected one of ${[...acceptable].join(', ')}`);
            } else {
              s.ok++;
            }
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
            s.failed++;
            s.errors[code] = (s.errors[code] ?? 0) + 1;
            if (s.examples.length < 5) s.examples.push(`${code}: ${(e as Error).message}`);
          }
        }
      })());
    }
  }
  return {
    switching(from, to) {
      allowed = new Set([from, to]);
      inSwitch = true;
    },
    settled() {
      inSwitch = false;
    },
    async stop() {
      stopping = true;
      await Promise.all(loops);
      for (const a of agents) a.destroy();
      return stats;
    },
  };
}

export function formatStats(s: GroupStats): string {
  const errors = Object.entries(s.errors).map(([k, v]) => `${k}×${v}`).join(' ') || 'none';
  return `${s.name.padEnd(28)} clients ${String(s.clients).padStart(3)}  requests ${String(s.requests).padStart(7)}  ok ${String(s.ok).padStart(7)}  failed ${String(s.failed).padStart(4)}  mis-served ${String(s.misServed).padStart(3)}  errors: ${errors}`;
}
