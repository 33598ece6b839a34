import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { z } from 'zod';
import { ConfigError, StepFailedError } from '../../../core/errors.js';
import { redactText, type Sensitive } from '../../../core/sensitive.js';
import { errorMessage } from '../../../core/marathon/errors.js';
import { describeAnswerProblems } from '../../../core/marathon/payloads.js';

// Marathon's REST API over node:http(s). Not fetch: a CA file needs an undici dispatcher (undici is
// not a dependency), and fetch's 300 s body timeout would cut the event stream. Every request
// carries the credentials when configured (basic auth, or a DC/OS token), follows a redirect to the
// leader, and is retried with backoff:
// - 502/503 (no leader: 503 up to 1.6, 502 from 1.7, an HTML or text body; docs/marathon-api.md §0)
//   for `leaderWaitMs`, since an election takes longer than a few quick retries, saying why it waits;
// - 500, 504, timeouts and dropped connections `attempts` times.

/** Basic auth (--http_credentials), or a DC/OS ACS token sent as `Authorization: token=…`. */
export type MarathonAuth = { user: Sensitive<string>; password: Sensitive<string> } | { token: Sensitive<string> };

export interface RetryPolicy {
  /** For 500, 504, timeouts and connection errors: attempts in all. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** For 502/503: keep retrying this long (a leader election). */
  leaderWaitMs: number;
}

export interface MarathonClientOptions {
  url: string;
  auth?: MarathonAuth;
  /** PEM file of the CA that signed Marathon's certificate; read at the first request. */
  caFile?: string;
  retry?: Partial<RetryPolicy>;
  /** Per request, until the response headers arrive and between body chunks. */
  requestTimeoutMs?: number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Epoch ms (the clock port); default Date.now. */
  now?(): number;
  /** The run's Ctrl-C: interrupts the requests (and retry waits) made without a signal of their own. */
  signal?: AbortSignal;
  debug?(message: string): void;
  /** Why a request is waiting (no leader), once per wait, and when Marathon answers again. */
  notice?(message: string): void;
}

export interface MarathonResponse<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
}

/** A non-2xx answer, after retries for 5xx. The adapter turns it into a message for a person. */
export class MarathonHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
    readonly raw: string,
    readonly attempts: number,
    /** Set when the request was retried for the leader wait: how long, in ms. */
    readonly waitedMs?: number,
  ) {
    super(`Marathon answered ${method} ${path} with ${status}: ${errorMessage(body, raw) || '(empty body)'}`);
    this.name = 'MarathonHttpError';
  }
}

/** Far above any answer for the apps of one prefix (a task is about 1 KiB), far below what hurts. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const RETRY_STATUS = new Set([500, 502, 503, 504]);
/** What Marathon (and a proxy in front of it) answers while there is no leader. */
const LEADER_STATUS = new Set([502, 503]);
const REDIRECT_STATUS = new Set([301, 302, 307, 308]);
const MAX_REDIRECTS = 3;
const RETRY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'MARATHON_TIMEOUT']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

class TransportError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface MarathonClient {
  readonly url: string;
  /** Which credentials are sent (for the hint on a 401). */
  readonly auth: 'none' | 'basic' | 'token';
  /** A 2xx answer is checked against `schema` (a wrong shape is a StepFailedError naming what was wrong). */
  request<T>(method: string, path: string, opts: { schema: z.ZodType<T>; body?: unknown; signal?: AbortSignal; retry?: boolean }): Promise<MarathonResponse<T>>;
  /** Opens a streaming GET (the event stream); resolves once the headers are in, following redirects. */
  openStream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage>;
  close(): void;
}

export function marathonClient(opts: MarathonClientOptions): MarathonClient {
  const base = new URL(opts.url);
  const baseUrl = base.href.replace(/\/+$/, '');
  const retry: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 4000, leaderWaitMs: 60_000, ...opts.retry };
  const now = opts.now ?? Date.now;
  // A proxy that echoes the request would put the credentials into an error message.
  const secrets = !opts.auth ? [] : 'token' in opts.auth ? [opts.auth.token] : [opts.auth.password];
  const timeoutMs = opts.requestTimeoutMs ?? 30_000;
  let agents: Promise<{ http: HttpAgent; https: HttpsAgent }> | undefined;

  const getAgents = () => (agents ??= (async () => {
    let ca: Buffer | undefined;
    if (opts.caFile) {
      try {
        ca = await readFile(opts.caFile);
      } catch (e) {
        agents = undefined;
        const code = (e as NodeJS.ErrnoException).code ?? String(e);
        throw new ConfigError('deployer.yaml', [{ path: 'deploy/marathon/caFile', message: `${opts.caFile} cannot be read (${code})` }], { cause: e });
      }
    }
    return { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true, ...(ca ? { ca } : {}) }) };
  })());

  const headersFor = (extra: Record<string, string>): Record<string, string> => {
    const h: Record<string, string> = { 'user-agent': 'deployer', ...extra };
    // Revealed here only, at the moment the header is built.
    if (opts.auth && 'token' in opts.auth) h.authorization = `token=${opts.auth.token.reveal()}`;
    else if (opts.auth) h.authorization = `Basic ${Buffer.from(`${opts.auth.user.reveal()}:${opts.auth.password.reveal()}`).toString('base64')}`;
    return h;
  };

  /**
   * A request's own signal, else the run's. Never both: cleanup after Ctrl-C (destroying what a
   * deploy created) runs with a signal of its own while the run's is already aborted.
   */
  const signalFor = (own: AbortSignal | undefined): AbortSignal | undefined => own ?? opts.signal;

  /**
   * Sends the request, following a redirect to the leader (a standby answers some paths with one,
   * docs/marathon-api.md §0) with the same method, body and credentials, never from https to http.
   */
  async function sendFollowing(method: string, path: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, stream: boolean): Promise<IncomingMessage> {
    let target = new URL(baseUrl + path);
    for (let hop = 0; ; hop++) {
      const res = await send(method, target, headers, body, signal, stream);
      const location = res.headers.location;
      if (!REDIRECT_STATUS.has(res.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return res;
      res.resume();
      const next = new URL(location, target);
      if (target.protocol === 'https:' && next.protocol !== 'https:') {
        throw new StepFailedError(`Marathon at ${baseUrl} redirected ${method} ${path.split('?')[0]} to ${next.origin} (not https); refused, the credentials would travel in clear`, {
          code: 'marathon.redirect',
          hint: 'point deploy.marathon.url at the leader, or serve every Marathon instance over https',
        });
      }
      opts.debug?.(`marathon: ${method} ${path} redirected (${res.statusCode}) to ${next.origin}`);
      target = next;
    }
  }

  async function send(method: string, target: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, stream: boolean): Promise<IncomingMessage> {
    const { http, https } = await getAgents();
    const isHttps = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)(target, {
        method,
        headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) },
        // The event stream gets its own connection: it never returns to a keep-alive pool.
        agent: stream ? false : isHttps ? https : http,
        ...(isHttps && stream ? { ca: https.options.ca } : {}),
        ...(signal ? { signal } : {}),
      }, resolve);
      req.setTimeout(timeoutMs, () => req.destroy(new TransportError('MARATHON_TIMEOUT', `no response within ${timeoutMs}ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof TransportError) return reject(e);
        if (signal?.aborted) return reject(signal.reason ?? e);
        reject(new TransportError(e.code ?? 'ERR', e.message));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Refuses an answer larger than MAX_ANSWER_BYTES before holding it in memory (a hostile or broken peer). */
  async function readBody(res: IncomingMessage, method: string, path: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of res) {
      size += (c as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        res.destroy();
        throw new StepFailedError(`Marathon at ${baseUrl} answered ${method} ${path.split('?')[0]} with more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB; refused, nothing was read from it`, {
          code: 'marathon.answer-too-large',
          hint: 'check that deploy.marathon.url points at Marathon (not a proxy or another service), and what it holds under deploy.marathon.appPrefix',
        });
      }
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  function unreachable(method: string, path: string, e: TransportError, attempts: number): StepFailedError {
    if (TLS_CODES.test(e.code) || TLS_CODES.test(e.message)) {
      return new StepFailedError(`TLS to Marathon at ${baseUrl} failed: ${e.message} (${e.code})`, {
        code: 'marathon.tls',
        hint: 'set deploy.marathon.caFile to the PEM of the CA that signed Marathon\'s certificate',
        cause: e,
      });
    }
    return new StepFailedError(`cannot reach Marathon at ${baseUrl} (${method} ${path}: ${e.code === 'MARATHON_TIMEOUT' ? e.message : e.code}${attempts > 1 ? `, ${attempts} attempts` : ''})`, {
      code: 'marathon.unreachable',
      hint: 'check deploy.marathon.url and that Marathon is up',
      cause: e,
    });
  }

  return {
    url: baseUrl,
    auth: !opts.auth ? 'none' : 'token' in opts.auth ? 'token' : 'basic',

    async request<T>(method: string, path: string, o: { schema: z.ZodType<T>; body?: unknown; signal?: AbortSignal; retry?: boolean }) {
      const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
      const signal = signalFor(o.signal);
      const attempts = o.retry === false ? 1 : retry.attempts;
      const leaderWaitMs = o.retry === false ? 0 : retry.leaderWaitMs;
      let leaderSince: number | undefined;
      let otherFailures = 0;
      for (let attempt = 1; ; attempt++) {
        signal?.throwIfAborted();
        let failure: TransportError | MarathonHttpError;
        try {
          const res = await sendFollowing(method, path, headersFor({ accept: 'application/json' }), payload, signal, false);
          const status = res.statusCode ?? 0;
          const text = await readBody(res, method, path);
          const raw = status >= 200 && status < 300 ? text : redactText(text, secrets);
          let body: unknown = raw;
          try {
            body = raw ? JSON.parse(raw) : undefined;
          } catch {
            // leader-proxy errors are text or HTML (docs/marathon-api.md §0)
          }
          if (status >= 200 && status < 300) {
            if (leaderSince !== undefined) opts.notice?.(`Marathon answered ${method} ${path.split('?')[0]} again after ${seconds(now() - leaderSince)}`);
            const checked = o.schema.safeParse(body, { reportInput: true });
            if (checked.success) return { status, headers: res.headers, body: checked.data };
            throw new StepFailedError(`Marathon at ${baseUrl} answered ${method} ${path.split('?')[0]} with data of the wrong shape`, {
              code: 'marathon.bad-answer',
              details: describeAnswerProblems(checked.error),
              hint: 'check that deploy.marathon.url points at Marathon (not a proxy or another service)',
            });
          }
          const waited = LEADER_STATUS.has(status) && leaderSince !== undefined ? now() - leaderSince : undefined;
          failure = new MarathonHttpError(method, path, status, body, raw, attempt, waited);
          if (!RETRY_STATUS.has(status)) throw failure;
        } catch (e) {
          if (signal?.aborted) throw signal.reason;
          if (e instanceof MarathonHttpError && !RETRY_STATUS.has(e.status)) throw e;
          if (!(e instanceof TransportError) && !(e instanceof MarathonHttpError)) throw e;
          if (e instanceof TransportError && !RETRY_CODES.has(e.code)) throw unreachable(method, path, e, attempt);
          failure = e;
        }
        let delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(attempt - 1, 20));
        if (failure instanceof MarathonHttpError && LEADER_STATUS.has(failure.status)) {
          // No leader: the budget is time, not attempts.
          if (leaderSince === undefined) {
            leaderSince = now();
            if (leaderWaitMs > 0) opts.notice?.(`${leaderless(failure)}; retrying ${method} ${path.split('?')[0]} for up to ${seconds(leaderWaitMs)}`);
          }
          const left = leaderSince + leaderWaitMs - now();
          if (left <= 0) throw failure;
          delay = Math.min(delay, left);
        } else if (++otherFailures >= attempts) {
          throw failure instanceof TransportError ? unreachable(method, path, failure, attempt) : failure;
        }
        opts.debug?.(`marathon: ${method} ${path} failed (${failure instanceof TransportError ? failure.code : failure.status}); attempt ${attempt + 1} in ${delay}ms`);
        await opts.sleep(delay, signal);
      }
    },

    async openStream(path, headers, signal) {
      let res: IncomingMessage;
      try {
        // A standby answers /v2/events with a redirect to the leader since 1.7 (docs/marathon-api.md §0).
        res = await sendFollowing('GET', path, headersFor(headers), undefined, signalFor(signal), true);
      } catch (e) {
        if (e instanceof TransportError) throw unreachable('GET', path, e, 1);
        throw e;
      }
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const raw = redactText(await readBody(res, 'GET', path).catch(() => ''), secrets);
        let body: unknown = raw;
        try {
          body = JSON.parse(raw);
        } catch {
          // HTML (a 405 from Jetty when Accept is not exactly text/event-stream)
        }
        throw new MarathonHttpError('GET', path, status, body, raw, 1);
      }
      return res;
    },

    close() {
      void agents?.then((a) => {
        a.http.destroy();
        a.https.destroy();
      }, () => {});
    },
  };
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** "Marathon has no leader (HTTP 503: Could not determine the current leader)", or what else it said. */
function leaderless(e: MarathonHttpError): string {
  const said = errorMessage(e.body, e.raw);
  const what = /leader/i.test(said) ? 'Marathon has no leader' : 'Marathon is unavailable';
  return `${what} (HTTP ${e.status}${said ? `: ${said}` : ''})`;
}
