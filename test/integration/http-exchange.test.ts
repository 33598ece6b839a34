import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange } from '../../src/adapters/http-exchange.js';

// The registry client's HTTP exchange (node:http, not fetch) against real loopback servers: bodies
// read whole, redirects followed the way fetch follows them, credentials kept to their origin.

interface Seen { method: string; url: string; authorization?: string; body: string }
const seen: Seen[] = [];
let a: Server;
let b: Server;
let aUrl: string;
let bUrl: string;

function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<[Server, string]> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: `${(server.address() as AddressInfo).port}${req.url}`, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      handler(req, res, body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve([server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`])));
}

beforeAll(async () => {
  [b, bUrl] = await listen((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': 'sha256:b' });
    res.end(`blob from b: ${req.url}`);
  });
  [a, aUrl] = await listen((req, res, body) => {
    if (req.url === '/same') return void res.writeHead(307, { location: '/final' }).end();
    if (req.url === '/elsewhere') return void res.writeHead(307, { location: `${bUrl}/storage?sig=1` }).end();
    if (req.url === '/post-then-get') return void res.writeHead(303, { location: '/final' }).end();
    if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/stall') return void res.writeHead(200, { 'content-length': '100' }).write('partial');
    res.writeHead(200, { 'set-cookie': ['x=1', 'y=2'] });
    res.end(JSON.stringify({ method: req.method, body }));
  });
});

afterAll(async () => {
  for (const s of [a, b]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const last = (n: number) => seen.slice(-n);

describe('exchange', () => {
  it('reads the whole answer: status, headers, body as text, JSON and bytes', async () => {
    const res = await exchange(`${aUrl}/final`, { method: 'PUT', body: Buffer.from('hello'), timeoutMs: 5000 });
    expect([res.status, res.ok]).toEqual([200, true]);
    expect(await res.json()).toEqual({ method: 'PUT', body: 'hello' });
    expect(res.headers.get('Set-Cookie')).toBe('x=1, y=2');
    expect(res.headers.get('no-such-header')).toBeNull();
    expect(Buffer.from(res.bytes()).toString()).toBe(await res.text());
  });

  it('follows a redirect on the same origin with the credentials', async () => {
    const res = await exchange(`${aUrl}/same`, { headers: { authorization: 'Basic c2VjcmV0' }, timeoutMs: 5000 });
    expect(await res.json()).toEqual({ method: 'GET', body: '' });
    expect(last(2).map((s) => s.authorization)).toEqual(['Basic c2VjcmV0', 'Basic c2VjcmV0']);
  });

  it('follows a redirect to another origin without the Authorization header', async () => {
    const res = await exchange(`${aUrl}/elsewhere`, { headers: { authorization: 'Bearer token', accept: 'application/json' }, timeoutMs: 5000 });
    expect(await res.text()).toBe('blob from b: /storage?sig=1');
    expect(res.headers.get('docker-content-digest')).toBe('sha256:b');
    const [first, second] = last(2);
    expect(first?.authorization).toBe('Bearer token');
    expect(second?.authorization).toBeUndefined();
  });

  it('a 303 after a POST becomes a GET without the body', async () => {
    const res = await exchange(`${aUrl}/post-then-get`, { method: 'POST', body: Buffer.from('payload'), headers: { 'content-type': 'text/plain' }, timeoutMs: 5000 });
    expect(await res.json()).toEqual({ method: 'GET', body: '' });
    expect(last(2).map((s) => s.method)).toEqual(['POST', 'GET']);
  });

  it('stops following after 5 redirects and hands back the last answer', async () => {
    const before = seen.length;
    const res = await exchange(`${aUrl}/loop`, { timeoutMs: 5000 });
    expect(res.status).toBe(302);
    expect(seen.length - before).toBe(6);
  });

  it('an answer that stalls mid-body ends in a timeout error, not a hang', async () => {
    const err = await exchange(`${aUrl}/stall`, { timeoutMs: 300 }).catch((e: unknown) => e as Error);
    expect(err).toMatchObject({ name: 'TimeoutError', message: 'timeout: no whole answer within 0.3 s' });
  });

  it("the caller's interrupt rejects with its reason; a refused connection with the socket's code", async () => {
    const ac = new AbortController();
    const reason = new Error('interrupted');
    const pending = exchange(`${aUrl}/stall`, { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(ac.signal.reason).toBe(reason);
    const refused = await exchange('http://127.0.0.1:1/v2/', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
  });
});
