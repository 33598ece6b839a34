import type { EnvironmentInfo } from '../../ports/scheduler.js';
import type { Backend } from '../../ports/scheduler.js';
import { shortSha } from '../image-ref.js';
import { backendAddress } from '../nginx/validate.js';
import { parseUpstream, sameBackends, sortBackends } from '../nginx/upstream.js';

// What each load balancer serves, read from its upstream file: the revision comment deployer wrote
// and the backends nginx uses, matched against the scheduler's environments. Hosts that disagree are
// drift (a half-finished manual change, a host that missed a switch); a file whose backends match no
// environment is drift too (status reports it).

export interface HostFile {
  host: string;
  path: string;
  /** undefined: the file does not exist. */
  content: string | undefined;
}

export interface HostLive {
  host: string;
  path: string;
  exists: boolean;
  /** The revision comment (deployer-written files). */
  claimed?: string;
  backends?: Backend[];
  /** The environment whose healthy backends are exactly the file's backends. */
  matches?: string;
}

export function hostLive(file: HostFile, upstream: string, environments: readonly EnvironmentInfo[]): HostLive {
  if (file.content === undefined) return { host: file.host, path: file.path, exists: false };
  const parsed = parseUpstream(file.content, upstream);
  const out: HostLive = { host: file.host, path: file.path, exists: true };
  if (parsed.revision) out.claimed = parsed.revision;
  if (parsed.backends) {
    out.backends = parsed.backends;
    const env = environments.find((e) => e.backends.length > 0 && sameBackends(e.backends, parsed.backends!));
    if (env) out.matches = env.revision;
  }
  return out;
}

/** The revision a host serves: the matching environment, else what the file claims. */
export function servedRevision(h: HostLive): string | undefined {
  return h.matches ?? h.claimed;
}

function describe(h: HostLive): string {
  if (!h.exists) return 'no file';
  const rev = servedRevision(h);
  const backends = h.backends ? sortBackends(h.backends).map(backendAddress).join(' ') : 'no upstream block';
  return `${rev ? shortSha(rev) : 'unknown revision'} (${backends})`;
}

/** Lines describing how the hosts disagree; empty when they all serve the same thing. */
export function disagreement(hosts: readonly HostLive[]): string[] {
  if (hosts.length < 2) return [];
  const key = (h: HostLive) => (h.exists ? `${servedRevision(h) ?? '?'}|${h.backends ? sortBackends(h.backends).map(backendAddress).join(',') : '-'}` : 'missing');
  const first = key(hosts[0]!);
  if (hosts.every((h) => key(h) === first)) return [];
  return hosts.map((h) => `${h.host}:${h.path}: ${describe(h)}`);
}

/** Hosts whose file exists but matches no environment (status's drift). */
export function unmatched(hosts: readonly HostLive[]): string[] {
  return hosts.filter((h) => h.exists && !h.matches).map((h) => `${h.host}:${h.path} serves ${describe(h)}, which matches no environment`);
}

/** The live revision when every host agrees on one; undefined otherwise. */
export function agreedRevision(hosts: readonly HostLive[]): string | undefined {
  if (hosts.length === 0 || disagreement(hosts).length) return undefined;
  return servedRevision(hosts[0]!);
}
