import { hostname } from 'node:os';
import type { Config } from '../../core/config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { resolveSwitchHosts, stateLocation } from '../../core/switch/hosts.js';
import type { Clock } from '../../ports/clock.js';
import type { HistoryPort } from '../../ports/history.js';
import type { LbHosts } from '../../ports/lb-hosts.js';
import type { SwitchLockPort } from '../../ports/lock.js';
import { lbHistory } from './history.js';
import { lbLock } from './lock.js';

// The switch lock and history, both in `switch.stateDir/<app>/` on the first switch host.
// No I/O here: the location is resolved (and a missing switch section reported) on first use.
export function switchState(opts: { config: Config; lb: LbHosts; clock: Clock }): { lock: SwitchLockPort; history: HistoryPort } {
  const location = () => {
    const sw = opts.config.switch;
    if (!sw) throw new ConfigError('config', [{ path: 'switch', message: 'is required for the switch lock and history (see deployer.example.yaml)' }]);
    return stateLocation(sw, opts.config.app, resolveSwitchHosts(sw));
  };
  return {
    lock: lbLock({ hosts: opts.lb, location, hostname: hostname(), pid: process.pid, now: () => opts.clock.now() }),
    history: lbHistory({ hosts: opts.lb, location }),
  };
}
