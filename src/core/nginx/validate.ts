import { PreconditionError } from '../errors.js';
import type { Backend } from '../../ports/scheduler.js';

// Backends come from remote systems (Docker port bindings, Marathon task hosts). Whatever they say,
// only an IP address or a DNS name and a port number may reach an nginx file: anything else could
// inject a directive (`1.2.3.4:80; include /etc/passwd`), a block (`}`), or a comment (`#`).
// The rules are an allow-list, so a character we did not think of is refused too.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

export function isIPv4(host: string): boolean {
  return IPV4.test(host);
}

/** A plain IPv6 address (no zone id, no brackets), written the usual way with at most one `::`. */
export function isIPv6(host: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) return false;
  const halves = host.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const parts = halves.flatMap(groups);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = parts[parts.length - 1];
  const v4tail = last !== undefined && last.includes('.');
  if (v4tail && !isIPv4(last)) return false;
  const hex = v4tail ? parts.slice(0, -1) : parts;
  if (!hex.every((g) => HEX_GROUP.test(g))) return false;
  const count = hex.length + (v4tail ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner dashes; not all-numeric at the end. */
export function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]!);
}

export function hostProblem(host: unknown): string | undefined {
  if (typeof host !== 'string') return `host should be a string, got ${typeof host}`;
  if (host.length === 0) return 'host is empty';
  const bad = /[;{}#'"\s\\$]/.exec(host);
  if (bad) return `host ${JSON.stringify(host)} contains ${JSON.stringify(bad[0])}, which must never reach an nginx file`;
  if (isIPv4(host) || isIPv6(host) || isDnsName(host)) return undefined;
  return `host ${JSON.stringify(host)} is neither an IP address nor a DNS name`;
}

export function portProblem(port: unknown): string | undefined {
  if (typeof port !== 'number' || !Number.isInteger(port)) return `port should be an integer, got ${JSON.stringify(port)}`;
  if (port < 1 || port > 65535) return `port ${port} is out of range 1-65535`;
  return undefined;
}

/** Every problem with a list of backends, one line each (empty when all are safe to write). */
export function backendProblems(backends: readonly Backend[]): string[] {
  const out: string[] = [];
  backends.forEach((b, i) => {
    for (const p of [hostProblem(b?.host), portProblem(b?.port)]) {
      if (p) out.push(`backend ${i + 1}: ${p}`);
    }
  });
  return out;
}

/**
 * Refuses (exit 4, before anything is written) a backend list that could not be rendered safely.
 * `what` names where the backends came from, e.g. `environment 3f2a9c1e0b7d`.
 */
export function assertSafeBackends(backends: readonly Backend[], what: string): void {
  const problems = backendProblems(backends);
  if (problems.length === 0 && backends.length > 0) return;
  throw new PreconditionError(
    backends.length === 0 ? `${what} has no backends to write` : `${what} reports backends that cannot go into an nginx file`,
    {
      code: 'backend.invalid',
      details: problems,
      hint: 'check the scheduler (container port bindings, Marathon task hosts); nothing was written',
    },
  );
}

/** `host:port`, with IPv6 in brackets as nginx wants it. Only call on validated backends. */
export function backendAddress(b: Backend): string {
  return isIPv6(b.host) ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}
