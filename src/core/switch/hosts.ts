import type { SwitchConfig, SwitchHost } from '../config/schema.js';
import { parseSshTarget } from '../ssh/target.js';

// The switch hosts with their per-host overrides applied: one record per load balancer, named the
// way people will read it in plans, errors and the history.

export interface VerifyTarget {
  url: string;
  header: string;
  timeoutSeconds: number;
}

export interface SshTarget {
  /** Undefined: the local user name, as ssh(1). */
  user?: string;
  host: string;
  port: number;
  identityFile?: string;
  knownHosts?: string;
}

export interface ResolvedHost {
  /** Unique among the hosts: `local`, the entry's `name`, or `user@host[:port]`. */
  name: string;
  index: number;
  ssh?: SshTarget;
  file: string;
  previewFile?: string;
  test: string[];
  reload: string[];
  verify: VerifyTarget;
  /** switch.method dynamic: this host's control socket (see controlSocketPath). */
  controlSocket?: string;
}

interface Overrides {
  name?: string | undefined;
  file?: string | undefined;
  previewFile?: string | undefined;
  test?: string[] | undefined;
  reload?: string[] | undefined;
  verify?: VerifyTarget | undefined;
  controlSocket?: string | undefined;
}

export function resolveSwitchHosts(sw: SwitchConfig): ResolvedHost[] {
  const seen = new Map<string, number>();
  return sw.hosts.map((entry: SwitchHost, index) => {
    const o: Overrides = typeof entry === 'string' ? {} : entry;
    const target = typeof entry === 'object' && 'ssh' in entry ? parseSshTarget(entry.ssh) : undefined;
    const ssh = typeof entry === 'object' && 'ssh' in entry && target
      ? {
        ...(target.user !== undefined ? { user: target.user } : {}),
        host: target.host,
        port: target.port,
        ...(entry.identityFile !== undefined ? { identityFile: entry.identityFile } : {}),
        ...(entry.knownHosts !== undefined ? { knownHosts: entry.knownHosts } : {}),
      }
      : undefined;
    let name = o.name ?? (typeof entry === 'object' && 'ssh' in entry ? entry.ssh : 'local');
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    if (n > 0) name = `${name}#${index + 1}`;
    const previewFile = o.previewFile ?? sw.previewFile;
    return {
      name,
      index,
      ...(ssh ? { ssh } : {}),
      file: o.file ?? sw.file,
      ...(previewFile ? { previewFile } : {}),
      test: o.test ?? sw.test,
      reload: o.reload ?? sw.reload,
      verify: o.verify ?? sw.verify,
      ...(o.controlSocket ?? sw.controlSocket ? { controlSocket: (o.controlSocket ?? sw.controlSocket)! } : {}),
    };
  });
}

/** Where the lock and history live: the first switch host, `<stateDir>/<app>/`. */
export function stateLocation(sw: SwitchConfig, app: string, hosts: readonly ResolvedHost[]): { host: string; dir: string; lock: string; history: string } {
  const dir = `${sw.stateDir.replace(/\/+$/, '')}/${app}`;
  return { host: hosts[0]!.name, dir, lock: `${dir}/lock`, history: `${dir}/history.jsonl` };
}

/** switch.method dynamic: the control socket every host's nginx listens on (README "Switching without a reload"). */
export function controlSocketPath(sw: SwitchConfig, app: string, host: Pick<ResolvedHost, 'controlSocket'>): string {
  return host.controlSocket ?? `${sw.stateDir.replace(/\/+$/, '')}/${app}/${sw.upstream}.sock`;
}
