// Fault injection state. Behavioural faults (locks, dropped streams) live where the behaviour is
// (scheduler, event bus); this holds the switches and the one-shot HTTP failures.

export interface InjectedFailure {
  method: string;
  pathPrefix: string;
  status: number;
  body: unknown;
}

export class Faults {
  private readonly queue: InjectedFailure[] = [];
  /** hangDeployments: health checks fail, deployments never complete. */
  hang = false;
  /** omitHealthResults: tasks report no healthCheckResults (unknown, not healthy). */
  omitHealthResults = false;
  /** taskData: what every task reports as its host and ports (hostile data; the containers are real). */
  taskData: { host?: unknown; ports?: unknown } | undefined;
  /** flapAfterDeployment: the moment a deployment succeeds, its tasks start failing their health checks. */
  flap = false;
  /** Raw text written to every event stream: once right after it attaches, and before every event. */
  sse: { atAttach?: string; beforeEach?: string } | undefined;
  private readonly delays: { method: string; pathPrefix: string; ms: number }[] = [];
  private readonly holds: { method: string; pathPrefix: string; hit: () => void; released: Promise<void> }[] = [];

  /** Queue a one-shot failure for the next request whose method matches ('*' = any) and whose path+query
   *  starts with pathPrefix. Several queued failures are consumed in order. */
  failNext(method: string, pathPrefix: string, status: number, body?: unknown): void {
    this.queue.push({
      method: method.toUpperCase(),
      pathPrefix,
      status,
      body: body ?? defaultBody(status),
    });
  }

  /** The next `count` matching requests are answered only after `ms` (a leader proxy that stalls). */
  delayNext(method: string, pathPrefix: string, ms: number, count = 1): void {
    for (let i = 0; i < count; i++) this.delays.push({ method: method.toUpperCase(), pathPrefix, ms });
  }

  takeDelay(method: string, pathAndQuery: string): number {
    const i = this.delays.findIndex((d) => (d.method === '*' || d.method === method) && pathAndQuery.startsWith(d.pathPrefix));
    return i < 0 ? 0 : this.delays.splice(i, 1)[0]!.ms;
  }

  /** The next matching request is carried out, but its answer is held until `release()` (or the client
   *  hangs up): `received` settles once it has been carried out. */
  holdNext(method: string, pathPrefix: string): { received: Promise<void>; release: () => void } {
    let hit = () => {};
    let release = () => {};
    const received = new Promise<void>((r) => (hit = r));
    const released = new Promise<void>((r) => (release = r));
    this.holds.push({ method: method.toUpperCase(), pathPrefix, hit, released });
    return { received, release };
  }

  takeHold(method: string, pathAndQuery: string): { hit: () => void; released: Promise<void> } | undefined {
    const i = this.holds.findIndex((h) => (h.method === '*' || h.method === method) && pathAndQuery.startsWith(h.pathPrefix));
    return i < 0 ? undefined : this.holds.splice(i, 1)[0];
  }

  take(method: string, pathAndQuery: string): InjectedFailure | undefined {
    const i = this.queue.findIndex((f) => (f.method === '*' || f.method === method) && pathAndQuery.startsWith(f.pathPrefix));
    if (i < 0) return undefined;
    return this.queue.splice(i, 1)[0];
  }
}

function defaultBody(status: number): unknown {
  // Leader-proxy failures are plain text, not JSON (docs/marathon-api.md §0); internal timeouts are JSON (§6).
  if (status === 502 || status === 503) return 'Could not determine the current leader';
  return { message: `Injected failure (HTTP ${status})` };
}
