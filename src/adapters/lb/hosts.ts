import type { SwitchConfig } from '../../core/config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { resolveSwitchHosts } from '../../core/switch/hosts.js';
import type { LbHost } from '../../ports/lb.js';
import type { LbHosts } from '../../ports/lb-hosts.js';
import type { Log } from '../../ports/log.js';
import { lazyPort } from '../lazy.js';
import { localLbHost } from './local.js';

// One LbHost per `switch.hosts` entry, named as the pure resolver names it (so plans, steps and
// adapters agree). Built lazily: constructing this does no I/O and opens no connection.

export interface LbHostsOptions {
  switchConfig: SwitchConfig | undefined;
  /** Resolves identityFile/knownHosts paths from the config against the config file's directory. */
  resolvePath: (p: string) => string;
  log?: Log;
  env?: Readonly<Record<string, string | undefined>>;
}

export function lbHosts(opts: LbHostsOptions): LbHosts {
  const built = new Map<string, LbHost>();
  // `~/` is the ssh layer's to expand (like ssh -i); anything else is relative to the config file.
  const path = (p: string) => (p.startsWith('~') ? p : opts.resolvePath(p));
  const hosts = () => {
    if (!opts.switchConfig) {
      throw new ConfigError('config', [{ path: 'switch', message: 'is required for switch, rollback, history, status and previews' }]);
    }
    return resolveSwitchHosts(opts.switchConfig);
  };
  return {
    get(name) {
      const existing = built.get(name);
      if (existing) return existing;
      const h = hosts().find((x) => x.name === name);
      if (!h) throw new Error(`no switch host named ${JSON.stringify(name)}`);
      const ssh = h.ssh;
      const host: LbHost = ssh
        // ssh2 loads with the first remote call, so local-only commands never pay for it.
        ? lazyPort(() => import('../ssh/lb-host.js').then((m) => m.sshLbHost({
          name: h.name,
          host: ssh.host,
          port: ssh.port,
          ...(ssh.user !== undefined ? { user: ssh.user } : {}),
          ...(ssh.identityFile !== undefined ? { identityFile: path(ssh.identityFile) } : {}),
          ...(ssh.knownHosts !== undefined ? { knownHostsFiles: [path(ssh.knownHosts)] } : {}),
          ...(opts.log ? { log: opts.log } : {}),
          ...(opts.env ? { env: opts.env } : {}),
        })), { name: h.name }, { idleNoOps: ['close'] })
        : localLbHost(h.name);
      built.set(name, host);
      return host;
    },
    async closeAll() {
      await Promise.all([...built.values()].map((h) => h.close().catch(() => {})));
    },
  };
}
