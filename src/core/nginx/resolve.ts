import type { Backend } from '../../ports/scheduler.js';
import { isDnsName, isIPv4, isIPv6 } from './validate.js';

// switch.method dynamic with host-name backends (Marathon reports tasks by agent name). The Lua
// balancer takes addresses only, so each name is resolved on each load balancer, where nginx itself
// resolves the `server` lines at reload: the same resolver, the same /etc/hosts, the same answer.
// `getent ahosts` asks getaddrinfo for every family, as nginx does for an upstream server name, so
// the list carries what a reload would load.

/** Host names among the backends (addresses need no resolving), each once, in order. */
export function backendNames(backends: readonly Backend[]): string[] {
  return [...new Set(backends.map((b) => b.host).filter((h) => !isIPv4(h) && !isIPv6(h)))];
}

/** The command that resolves `name` on a host; throws for anything that is not a plain DNS name. */
export function resolveArgv(name: string): string[] {
  // isDnsName admits letters, digits, inner dashes and dots only: no option (`-s`), no shell syntax.
  if (!isDnsName(name)) throw new Error(`${JSON.stringify(name)} is not a DNS name`);
  return ['getent', 'ahosts', '--', name];
}

/** The distinct plain addresses of `getent ahosts` output (a line per address and socket type). */
export function parseGetent(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const addr = line.trim().split(/\s+/)[0] ?? '';
    // A zone-scoped link-local address (fe80::1%eth0) is no peer the balancer could take.
    if ((isIPv4(addr) || isIPv6(addr)) && !out.includes(addr)) out.push(addr);
  }
  return out;
}

/** One host's answer per name: its addresses, or why it has none. */
export type Resolution = Record<string, { addresses: string[] } | { reason: string }>;

/**
 * Each backend as the balancer's peers: a name becomes one peer per address it resolved to (as
 * nginx makes one peer per address of a `server` name, duplicates included).
 */
export function balancerPeers(backends: readonly Backend[], resolved: Resolution = {}): Backend[] {
  return backends.flatMap((b) => {
    const r = resolved[b.host];
    if (isIPv4(b.host) || isIPv6(b.host) || !r || !('addresses' in r)) return [b];
    return r.addresses.map((host) => ({ host, port: b.port }));
  });
}

/** `name → address, ...` lines for a plan, one per name. */
export function resolutionLines(resolved: Resolution): string[] {
  return Object.entries(resolved).map(([name, r]) => `${name} -> ${'addresses' in r ? r.addresses.join(', ') : `(not resolved: ${r.reason})`}`);
}
