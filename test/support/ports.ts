// Free loopback ports, and retrying a service start when its port was taken in the meantime.
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

// Ports handed out by this process recently; a port is not handed out twice within the window,
// even if the kernel offers it again after the probe socket closed.
const recent = new Map<number, number>();
const RECENT_MS = 5 * 60_000;

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: LOOPBACK, port, exclusive: true }, () => resolve(srv));
  });
}

const close = (srv: Server): Promise<void> => new Promise((resolve) => srv.close(() => resolve()));

/** Asks the kernel for n distinct free ports on 127.0.0.1 (all probe sockets are held at once). */
export async function freePorts(n: number): Promise<number[]> {
  const now = Date.now();
  for (const [p, t] of recent) if (now - t > RECENT_MS) recent.delete(p);
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > n + 50) throw new Error(`freePorts: could not find ${n} free ports`);
      const srv = await listen(0);
      held.push(srv);
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') throw new Error('freePorts: unexpected address');
      if (recent.has(addr.port)) continue;
      ports.push(addr.port);
    }
  } finally {
    await Promise.all(held.map(close));
  }
  for (const p of ports) recent.set(p, now);
  return ports;
}

/** A port on 127.0.0.1 that was free a moment ago (listen on :0, close). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/** True if nothing listens on 127.0.0.1:port (we could bind it ourselves). */
export async function isPortFree(port: number): Promise<boolean> {
  try {
    await close(await listen(port));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw err;
  }
}

/** Thrown by service starters when their listen address was taken; retryOnAddrInUse retries it. */
export class AddrInUseError extends Error {
  override name = 'AddrInUseError';
  readonly code = 'EADDRINUSE';
  constructor(
    readonly port: number,
    detail: string,
  ) {
    super(`127.0.0.1:${port} is already in use: ${detail}`);
  }
}

export function isAddrInUse(err: unknown): boolean {
  if (err instanceof AddrInUseError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    e?.code === 'EADDRINUSE' || (typeof e?.message === 'string' && /EADDRINUSE|address already in use/i.test(e.message))
  );
}

/**
 * Starts a service on freshly allocated ports, retrying with new ports when the start fails with
 * "address in use" (another worker took the port between our probe and the service's bind).
 */
export async function retryOnAddrInUse<T>(
  start: (ports: number[]) => Promise<T>,
  opts: { ports?: number; attempts?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(await freePorts(opts.ports ?? 1));
    } catch (err) {
      if (!isAddrInUse(err)) throw err;
      last = err;
    }
  }
  throw new Error(`gave up after ${attempts} attempts with ports in use`, { cause: last });
}
