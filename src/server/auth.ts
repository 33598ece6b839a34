import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Write access to `deployer serve`: a Bearer token compared in constant time, and no cross-site
// requests (a browser always sends Origin on a cross-origin POST).

/** Hashing first gives equal lengths, so timingSafeEqual never leaks the token's length either. */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** An Origin that names another origin than the one the request was sent to. */
export function foreignOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  return origin === `http://${req.headers.host ?? ''}` ? undefined : origin;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
