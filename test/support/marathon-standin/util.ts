import { randomUUID } from 'node:crypto';
import net from 'node:net';

export const uuid = (): string => randomUUID();

/** ISO-8601 with milliseconds and `Z`, like every Marathon timestamp (docs/marathon-api.md §0). */
export const isoNow = (): string => new Date().toISOString();

/** Strictly increasing timestamps, so two changes in the same millisecond still get distinct versions. */
export class VersionClock {
  private last = 0;
  next(): string {
    this.last = Math.max(Date.now(), this.last + 1);
    return new Date(this.last).toISOString();
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const clone = <T>(v: T): T => structuredClone(v);

/** `/group/app` → `group_app` (docs/marathon-api.md §2.2: slashes in the app id become `_` in task ids). */
export const safeAppId = (appId: string): string => appId.replace(/^\//, '').replace(/\//g, '_');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A host port that is free right now. Mesos knows a task's host ports before launch (they come from the
 * offer), and PORT0/PORT_<n> must be set at launch, so the stand-in picks the port itself instead of
 * letting Docker choose after the fact. Picked from the Mesos agent default range 31000–32000 and checked
 * by binding the agent's address (docker-proxy holds published ports, so in-use ones fail to bind).
 */
export class HostPortAllocator {
  private readonly reserved = new Set<number>();

  async allocate(ip = '127.0.0.1'): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = 31000 + Math.floor(Math.random() * 1001);
      if (this.reserved.has(port)) continue;
      if (await canBind(ip, port)) {
        this.reserved.add(port);
        return port;
      }
    }
    throw new Error('marathon-standin: no free host port in 31000-32000');
  }

  release(ports: Iterable<number>): void {
    for (const p of ports) this.reserved.delete(p);
  }
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The request's URL with repeated slashes compacted, as Jetty routes it (`//v2//apps` is `/v2/apps`; a
 *  leading `//` would otherwise read as a host name). */
export function requestUrl(rawUrl: string | undefined): URL {
  const raw = rawUrl ?? '/';
  const q = raw.indexOf('?');
  const path = (q < 0 ? raw : raw.slice(0, q)).replace(/\/{2,}/g, '/');
  return new URL(path + (q < 0 ? '' : raw.slice(q)), 'http://standin');
}
