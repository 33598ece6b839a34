// A byte-level TCP proxy (to a unix socket or host:port) that can hold one HTTP request at a chosen
// point, so a fault case reaches a phase deterministically: in front of the Docker engine (via
// DOCKER_HOST) it holds the answer to `POST /commit` after the engine has carried it out; in front
// of a registry it holds a manifest PUT before the registry sees it. Bytes pass through untouched
// otherwise, so hijacked streams (attach, exec) work.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Hold {
  /** Settles when a matching request arrived. */
  received: Promise<void>;
  /** Settles when the client hung up on the connection of the held request. */
  hungUp: Promise<void>;
  /** Lets the held bytes through (and everything after them on that connection). */
  release(): void;
}

export interface HoldProxy {
  /** `unix:///path` or `127.0.0.1:port`, whichever the proxy listens on. */
  address: string;
  /**
   * Holds the next request whose bytes match `requestLine`: `'answer'` forwards the request and
   * holds the reply; `'request'` holds the request itself (the target never sees it until release).
   */
  holdNext(requestLine: RegExp, what: 'answer' | 'request'): Hold;
  close(): Promise<void>;
}

interface Pending {
  pattern: RegExp;
  what: 'answer' | 'request';
  hit: () => void;
  hangUp: () => void;
  released: Promise<void>;
}

export async function startHoldProxy(target: { socketPath: string } | { host: string; port: number }, listen: { socketPath: string } | { port: 0 }): Promise<HoldProxy> {
  const pending: Pending[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = 'socketPath' in target ? createConnection(target.socketPath) : createConnection(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    let held: Pending | undefined;
    let toClient: Promise<void> = Promise.resolve();
    let toUpstream: Promise<void> = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const i = pending.findIndex((p) => p.pattern.test(text));
      const p = i >= 0 ? pending.splice(i, 1)[0] : undefined;
      if (p) {
        held = p;
        p.hit();
      }
      if (p?.what === 'request') toUpstream = toUpstream.then(() => p.released);
      if (p?.what === 'answer') toClient = toClient.then(() => p.released);
      void toUpstream.then(() => upstream.writable && upstream.write(chunk));
    });
    upstream.on('data', (chunk: Buffer) => {
      void toClient.then(() => client.writable && client.write(chunk));
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    // A client that hangs up takes its held request with it: those bytes never reach the target.
    client.on('close', () => {
      held?.hangUp();
      end();
    });
    upstream.on('close', () => void toClient.then(end));
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('socketPath' in listen) server.listen(listen.socketPath, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  return {
    address: 'socketPath' in listen ? `unix://${listen.socketPath}` : `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    holdNext(pattern, what) {
      let hit = () => {};
      let hangUp = () => {};
      let release = () => {};
      const received = new Promise<void>((r) => (hit = r));
      const hungUp = new Promise<void>((r) => (hangUp = r));
      const released = new Promise<void>((r) => (release = r));
      pending.push({ pattern, what, hit, hangUp, released });
      return { received, hungUp, release };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
