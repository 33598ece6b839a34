import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { httpError, queryString, type EngineApi, type EngineCall } from './engine-api.js';

// The Engine API as plain HTTP on the engine's unix socket (node:http, nothing loaded beyond it).

/** An engine answer larger than this is not a JSON document we asked for. */
const MAX_JSON = 64 * 1024 * 1024;

const ok = (res: IncomingMessage) => (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;

function readText(res: IncomingMessage, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_JSON) res.destroy(new Error(`the engine's answer to ${path} exceeds ${MAX_JSON} bytes`));
      else chunks.push(b);
    });
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export function socketApi(socketPath: string): EngineApi {
  function send(call: EngineCall, upgrade: boolean): ClientRequest {
    const headers: Record<string, string> = { ...call.headers };
    const body = call.json === undefined ? undefined : JSON.stringify(call.json);
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    } else if (call.tar) {
      headers['content-type'] = 'application/x-tar';
    } else {
      // No body, said plainly (as the docker CLI does), not an empty chunked one.
      headers['content-length'] = '0';
    }
    if (upgrade) Object.assign(headers, { connection: 'Upgrade', upgrade: 'tcp' });
    const req = request({ socketPath, path: call.path + queryString(call.query), method: call.method, headers, ...(call.signal ? { signal: call.signal } : {}) });
    if (call.tar) {
      call.tar.on('error', (e: Error) => req.destroy(e));
      call.tar.pipe(req);
    } else {
      req.end(body);
    }
    return req;
  }

  /** Sends the call; resolves with the 2xx response, rejects with the engine's error otherwise. */
  function respond(call: EngineCall, req: ClientRequest): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      req.on('error', (e: NodeJS.ErrnoException & { address?: string }) => reject(Object.assign(e, { address: e.address ?? socketPath })));
      req.on('response', (res) => {
        if (ok(res)) return resolve(res);
        readText(res, call.path).then((text) => reject(httpError(res.statusCode ?? 0, text)), reject);
      });
    });
  }

  return {
    async json<T>(call: EngineCall) {
      const res = await respond(call, send(call, false));
      const text = await readText(res, call.path);
      return text.trim() ? (JSON.parse(text) as T) : undefined;
    },
    async stream(call) {
      return respond(call, send(call, false)) as Promise<Readable>;
    },
    hijack(call) {
      const req = send(call, true);
      return new Promise<Duplex>((resolve, reject) => {
        req.on('upgrade', (_res, socket, head) => {
          if (head.length) socket.unshift(head);
          resolve(socket);
        });
        // An engine that answers without upgrading streams the output as the body.
        respond(call, req).then((res) => resolve(res as unknown as Duplex), reject);
      });
    },
  };
}
