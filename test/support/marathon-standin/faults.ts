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

  take(method: string, pathAndQuery: string): InjectedFailure | undefined {
    const i = this.queue.findIndex((f) => (f.method === '*' || f.method === method) && pathAndQuery.startsWith(f.pathPrefix));
    if (i < 0) return undefined;
    return this.queue.splice(i, 1)[0];
  }
}

function defaultBody(status: number): unknown {
  // Leader-proxy failures are plain text, not JSON (marathon-api.md §0); internal timeouts are JSON (§6).
  if (status === 502 || status === 503) return 'Could not determine the current leader';
  return { message: `Injected failure (HTTP ${status})` };
}
