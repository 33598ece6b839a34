// A fault-injecting HTTP proxy in front of a real registry, for the fault suite (test/faults/).
// deployer and the Docker engine both talk to it as if it were the registry (127.0.0.1:<port>, so
// the engine uses plain http); a case sets one fault, which applies to the requests it matches:
//   status — answer with an HTTP status instead of forwarding (`times` requests, then forward);
//   drop   — forward the request's first body bytes (or the response's first bytes for a GET),
//            then destroy both connections: a connection cut in the middle of a transfer;
//   hang   — accept the request and never answer.
// The Host header is forwarded as is, so the registry's Location headers name the proxy.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { LOOPBACK } from './ports.js';

/** A request as a fault sees it; `engine` is true for the Docker engine's (its User-Agent), false for deployer's own. */
export interface Req {
  method: string;
  path: string;
  engine: boolean;
}
export type Match = (req: Req) => boolean;

export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; match?: Match; times?: number }
  | { kind: 'drop'; match: Match; times?: number }
  | { kind: 'hang'; match?: Match };

export interface Seen extends Req {
  /** What the proxy did: the injected status, 'dropped', 'hung', or the registry's status. */
  outcome: number | 'dropped' | 'hung';
}

export interface FaultProxy {
  host: string;
  port: number;
  /** Requests seen since the last set(). */
  seen: Seen[];
  /** Replaces the fault (and clears `seen`); hung connections are cut. */
  set(fault: Fault): void;
  close(): Promise<void>;
}

/** Requests of a blob upload (POST/PATCH/PUT under /blobs/uploads/). */
export const blobUpload: Match = ({ method, path }) => method !== 'GET' && method !== 'HEAD' && path.includes('/blobs/uploads/');
/** The manifest PUT that creates a tag. */
export const manifestPut: Match = ({ method, path }) => method === 'PUT' && path.includes('/manifests/');
/** A blob download (a layer or an image config), by anyone. */
export const blobGet: Match = ({ method, path }) => method === 'GET' && /\/blobs\/sha256:/.test(path);
/** Only the engine's requests that `m` matches (a push or pull), not deployer's own reads. */
export const byEngine = (m: Match): Match => (r) => r.engine && m(r);
/** Only deployer's own requests that `m` matches (its registry reads while gathering facts). */
export const byDeployer = (m: Match): Match => (r) => !r.engine && m(r);

export async function startFaultProxy(upstream: { host: string; port: number }): Promise<FaultProxy> {
  let fault: Fault = { kind: 'pass' };
  let used = 0;
  const hung = new Set<Socket>();
  const sockets = new Set<Socket>();
  const proxy: Omit<FaultProxy, 'host' | 'port'> & { server?: Server } = {
    seen: [],
    set(f) {
      fault = f;
      used = 0;
      proxy.seen = [];
      for (const s of hung) s.destroy();
      hung.clear();
    },
    close: async () => {},
  };

  const applies = (req: Req): boolean => {
    if (fault.kind === 'pass') return false;
    if (fault.match && !fault.match(req)) return false;
    if ('times' in fault && fault.times !== undefined && used >= fault.times) return false;
    used++;
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const r: Req = { method: req.method ?? 'GET', path: req.url ?? '/', engine: /^docker\//.test(req.headers['user-agent'] ?? '') };
    const hit = applies(r);
    const seen: Seen = { method: r.method, path: r.path, engine: r.engine, outcome: 'hung' };
    proxy.seen.push(seen);
    if (hit && fault.kind === 'hang') {
      hung.add(req.socket);
      return;
    }
    if (hit && fault.kind === 'status') {
      seen.outcome = fault.status;
      const headers: Record<string, string> = { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' };
      if (fault.status === 401) headers['www-authenticate'] = 'Basic realm="fault-proxy"';
      req.resume();
      res.writeHead(fault.status, headers).end(JSON.stringify({ errors: [{ code: fault.status === 401 ? 'UNAUTHORIZED' : 'UNKNOWN', message: `injected ${fault.status}` }] }));
      return;
    }
    const drop = hit && fault.kind === 'drop';
    const cut = () => {
      seen.outcome = 'dropped';
      up.destroy();
      req.socket.destroy();
    };
    const up = request({ host: upstream.host, port: upstream.port, method: r.method, path: r.path, headers: req.headers }, (ures) => {
      seen.outcome = ures.statusCode ?? 0;
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, ures.rawHeaders);
      if (drop && r.method === 'GET') {
        ures.once('data', (chunk: Buffer) => {
          res.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
          setImmediate(cut);
        });
        return;
      }
      ures.pipe(res);
    });
    up.on('error', () => req.socket.destroy());
    if (drop && r.method !== 'GET') {
      let got = false;
      req.on('data', (chunk: Buffer) => {
        if (got) return;
        got = true;
        up.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)));
        setImmediate(cut);
      });
      // A request without a body (or an empty one) is cut before it reaches the registry.
      req.on('end', () => {
        if (!got) cut();
      });
      return;
    }
    req.pipe(up);
  };

  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host: `${LOOPBACK}:${port}`,
    port,
    get seen() {
      return proxy.seen;
    },
    set: proxy.set,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
