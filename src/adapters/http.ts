import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HttpPort, HttpResponse } from '../ports/http.js';
import { abortedOr } from './abort.js';

// node:http rather than fetch: a fresh connection per probe (agent: false), so a keep-alive socket
// to a container that just died never answers for it, and no undici body timeouts to reason about.

const MAX_BODY = 1024 * 1024;

export const nodeHttp: HttpPort = {
  get(url, opts = {}) {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise<HttpResponse>((resolve, reject) => {
      const u = new URL(url);
      const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = request(u, { method: 'GET', headers: opts.headers, agent: false, signal: opts.signal }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('error', (e) => reject(abortedOr(opts.signal, new Error(`GET ${url}: ${e.message}`))));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8') });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs}ms`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(abortedOr(opts.signal, new Error(`GET ${url}: ${e.code && !e.message.includes(e.code) ? `${e.code} ` : ''}${e.message}`))));
      req.end();
    });
  },
};
