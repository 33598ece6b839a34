import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

// One HTTP exchange read whole, over node:http(s), for the registry client. Not fetch: the first
// fetch() in a process compiles undici's WebAssembly HTTP parser, which took ~20 MiB of a
// delta-build's peak memory and ~40 ms of its CPU (README, "Performance"). Redirects are followed
// as fetch follows them: 303 (and 301/302 after a POST) become a GET without a body, and the
// Authorization header never goes to another origin (registries redirect blobs to storage).

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface ExchangeInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
  /** For the whole exchange, body included. */
  timeoutMs: number;
}

export class ReadResponse {
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  constructor(readonly status: number, readonly statusText: string, raw: IncomingHttpHeaders, readonly body: Buffer) {
    this.ok = status >= 200 && status < 300;
    this.headers = {
      get: (name) => {
        const v = raw[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }
  async text(): Promise<string> {
    return this.body.toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8'));
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.body);
  }
}

function once(url: URL, init: ExchangeInit): Promise<ReadResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { ...init.headers };
  if (init.body) headers['content-length'] = String(init.body.length);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve(new ReadResponse(res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks))));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export async function exchange(url: string, init: ExchangeInit): Promise<ReadResponse> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(Object.assign(new Error(`timeout: no whole answer within ${init.timeoutMs / 1000} s`), { name: 'TimeoutError' })), init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
  try {
    let current = new URL(url);
    let step: ExchangeInit = { ...init, signal };
    for (let hop = 0; ; hop++) {
      const res = await once(current, step).catch((e: unknown) => {
        throw timeout.signal.aborted ? timeout.signal.reason : e;
      });
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location || hop >= MAX_REDIRECTS) return res;
      const next = new URL(location, current);
      const headers = { ...step.headers };
      if (next.origin !== current.origin) delete headers.authorization;
      const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && step.method === 'POST');
      if (toGet) {
        delete headers['content-type'];
        step = { ...step, method: 'GET', headers, body: undefined };
      } else {
        step = { ...step, headers };
      }
      current = next;
    }
  } finally {
    clearTimeout(timer);
  }
}
