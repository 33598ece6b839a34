// A plain HTTP GET for probes and checks (smoke checks, health, verify): one request, no retries,
// no redirects followed; the caller decides what a response means.

export interface HttpResponse {
  status: number;
  /** Lower-case header names, as node reports them. */
  headers: Record<string, string | string[] | undefined>;
  /** Decoded as UTF-8; cut at the adapter's size limit. */
  body: string;
}

export interface HttpPort {
  /** Rejects on a connection error or timeout (with a message for people); never on a status. */
  get(url: string, opts?: { headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal }): Promise<HttpResponse>;
}
