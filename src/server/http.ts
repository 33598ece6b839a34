import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DeployerError, ExitCode } from '../core/errors.js';
import { bearer, foreignOrigin, tokenMatches } from './auth.js';

// The HTTP side of `deployer serve` on node:http: routing, limits, auth and SSE. What each route
// does comes from `ServeApp` (built in src/cli/commands/serve.ts on the CLI's planners and executor).

export const MAX_BODY_BYTES = 16 * 1024;

export interface SwitchBody {
  revision: string | undefined;
  /** true: return the plan and change nothing. */
  plan: boolean;
  /** The plan the person confirmed; a different plan now is refused (409). */
  planHash: string | undefined;
  who: string | undefined;
}

export interface ServeApp {
  page(fragment: boolean): Promise<string>;
  status(): Promise<unknown>;
  history(): Promise<unknown>;
  upstream(rev: string): Promise<string>;
  /** Plans, and unless body.plan applies; throws DeployerErrors (mapped to 4xx/5xx below). */
  switch(action: 'switch' | 'rollback', body: SwitchBody, caller: string): Promise<unknown>;
}

export interface ServeOptions {
  app: ServeApp;
  token: string | undefined;
  log: (line: string) => void;
}

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly hint?: string) {
    super(message);
  }
}

// A step that ran and failed (a pre-switch hook, nginx -t, the verification; exit 1) is the work
// behind the request failing, not this server: 502, never the 500 kept for bugs.
const STATUS_OF: Record<number, number> = { [ExitCode.stepFailed]: 502, [ExitCode.usage]: 400, [ExitCode.lockHeld]: 409, [ExitCode.precondition]: 422 };

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}
const json = (res: ServerResponse, status: number, v: unknown) => send(res, status, 'application/json', `${JSON.stringify(v, null, 2)}\n`);

async function readBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `request body too large (${declared} bytes; at most ${MAX_BODY_BYTES})`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body too large (more than ${MAX_BODY_BYTES} bytes)`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`, 'send {"revision": "<sha>"} with content-type application/json');
  }
}

const REV = /^[0-9A-Za-z][0-9A-Za-z._/-]{0,99}$/;

export function parseSwitchBody(v: unknown, action: 'switch' | 'rollback'): SwitchBody {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new HttpError(400, 'request body must be a JSON object', 'send {"revision": "<sha>"}');
  const o = v as Record<string, unknown>;
  const known = new Set(['revision', 'plan', 'planHash', 'who']);
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length) throw new HttpError(400, `unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')} in the request body`, 'fields: revision, plan, planHash, who');
  if (o.revision !== undefined && (typeof o.revision !== 'string' || !REV.test(o.revision))) throw new HttpError(400, 'revision: should be a sha (or a branch or tag name)');
  if (action === 'switch' && o.revision === undefined) throw new HttpError(400, 'revision: is required', 'send {"revision": "<sha>"}');
  if (o.plan !== undefined && typeof o.plan !== 'boolean') throw new HttpError(400, 'plan: should be true or false');
  if (o.planHash !== undefined && (typeof o.planHash !== 'string' || !/^[0-9a-f]{64}$/.test(o.planHash))) throw new HttpError(400, 'planHash: should be the 64 hex digits a plan request returned');
  if (o.who !== undefined && (typeof o.who !== 'string' || !/^[\w .@:+-]{1,64}$/.test(o.who))) throw new HttpError(400, 'who: should be a short name (letters, digits, space, . @ : + - _)');
  return { revision: o.revision as string | undefined, plan: o.plan === true, planHash: o.planHash as string | undefined, who: o.who as string | undefined };
}

export interface Serve {
  server: Server;
  /** Sends an SSE event to every page that is open. */
  broadcast(event: string, data: unknown): void;
}

export function createServe(opts: ServeOptions): Serve {
  const clients = new Set<ServerResponse>();
  const broadcast = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(frame);
  };

  const guardWrite = (req: IncomingMessage) => {
    if (opts.token === undefined) throw new HttpError(403, 'this server is read-only', 'start `deployer serve` with DEPLOYER_UI_TOKEN set to allow switching');
    const origin = foreignOrigin(req);
    if (origin !== undefined) throw new HttpError(403, `cross-origin request refused (Origin ${origin})`);
    const given = bearer(req);
    if (given === undefined || !tokenMatches(given, opts.token)) throw new HttpError(401, 'missing or wrong token', 'send Authorization: Bearer <DEPLOYER_UI_TOKEN>');
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Appended, not resolved: a request target like `//x` would otherwise parse as a host
    // ("Invalid URL"); here it is just a path no route matches.
    const url = new URL(`http://x${(req.url ?? '/').startsWith('/') ? req.url ?? '/' : `/${req.url}`}`);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/') return send(res, 200, 'text/html', await opts.app.page(url.searchParams.has('fragment')));
    if (method === 'GET' && path === '/api/status') return json(res, 200, await opts.app.status());
    if (method === 'GET' && path === '/api/history') return json(res, 200, await opts.app.history());
    const up = /^\/api\/upstream\/([^/]+)$/.exec(path);
    if (method === 'GET' && up) {
      const rev = decodeURIComponent(up[1]!);
      if (!REV.test(rev)) throw new HttpError(400, 'revision: should be a sha');
      return send(res, 200, 'text/plain', await opts.app.upstream(rev));
    }
    if (method === 'GET' && path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const sw = /^\/api\/(switch|rollback)$/.exec(path);
    if (sw) {
      if (method !== 'POST') throw new HttpError(405, `${path} takes POST`);
      guardWrite(req);
      const body = parseSwitchBody(await readBody(req), sw[1] as 'switch' | 'rollback');
      const caller = `web:${body.who ?? 'anonymous'} (${req.socket.remoteAddress ?? '?'})`;
      return json(res, 200, await opts.app.switch(sw[1] as 'switch' | 'rollback', body, caller));
    }
    throw new HttpError(404, `no route ${method} ${path}`, 'routes: GET /, /api/status, /api/history, /api/upstream/<rev>, /events; POST /api/switch, /api/rollback');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const [status, message, hint] = e instanceof HttpError ? [e.status, e.message, e.hint]
        : e instanceof DeployerError ? [STATUS_OF[e.exitCode] ?? 500, e.message, e.hint]
        : [500, `this is a bug: ${e instanceof Error ? e.message : String(e)}`, undefined];
      // The method and path only: headers (the token) are never logged.
      opts.log(`${req.method} ${req.url?.split('?')[0]} -> ${status} ${message}`);
      if (res.headersSent) return res.end();
      json(res, status, { error: message, ...(hint ? { hint } : {}), ...(e instanceof DeployerError ? { exitCode: e.exitCode } : {}) });
    });
  });
  return { server, broadcast };
}
