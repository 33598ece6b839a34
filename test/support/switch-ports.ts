import { systemClock } from '../../src/adapters/clock.js';
import { nodeHttp } from '../../src/adapters/http.js';
import { lbHosts } from '../../src/adapters/lb/hosts.js';
import { switchState } from '../../src/adapters/state/index.js';
import type { Config } from '../../src/core/config/schema.js';
import type { Ports } from '../../src/ports/index.js';
import { silentLog } from '../../src/ports/log.js';
import type { EnvironmentInfo } from '../../src/ports/scheduler.js';

/**
 * Real nginx hosts, state, HTTP and clock for the switch/preview handlers, with the scheduler's
 * environments given by the test (read at each call) and every image counted as tested.
 */
export function switchPorts(config: Config, envs: () => EnvironmentInfo[]): Ports {
  const lb = lbHosts({ switchConfig: config.switch, resolvePath: (x) => x });
  return {
    lb,
    ...switchState({ config, lb, clock: systemClock }),
    scheduler: { name: 'docker', list: async () => envs(), get: async (_a: string, r: string) => envs().find((e) => e.revision === r) } as unknown as Ports['scheduler'],
    http: nodeHttp,
    clock: systemClock,
    log: silentLog,
    docker: { imageInfo: async () => ({ id: 'sha256:x' }) } as unknown as Ports['docker'],
    records: { where: 'nowhere', get: async () => undefined, put: async () => {}, forDigest: async () => undefined, forRevision: async () => [] },
    git: { resolve: async (r: string) => r } as unknown as Ports['git'],
  } as unknown as Ports;
}
