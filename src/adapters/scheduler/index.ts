import type { Config } from '../../core/config/schema.js';
import { ConfigError } from '../../core/errors.js';
import { sensitive } from '../../core/sensitive.js';
import type { Clock } from '../../ports/clock.js';
import type { DockerPort } from '../../ports/docker.js';
import type { Log } from '../../ports/log.js';
import type { SchedulerPort } from '../../ports/scheduler.js';
import type { SwarmPort } from '../../ports/swarm.js';
import { swarmConfigOf } from '../../core/swarm/service-spec.js';
import { dockerScheduler } from './docker.js';
import type { MarathonAuth } from './marathon/client.js';
import { lazyPort } from '../lazy.js';
import { swarmScheduler } from './swarm.js';

// Builds the scheduler deploy.scheduler names. No I/O here: Marathon's /v2/info and the CA file are
// read at the first request.

export interface SchedulerWiring {
  config: Config;
  /** The config file, for error messages. */
  configFile: string;
  /** Resolves a path from the config against the config file's directory. */
  resolvePath(p: string): string;
  docker: DockerPort;
  /** The same engine's swarm API (a manager), for deploy.scheduler swarm. */
  swarm: SwarmPort;
  clock: Clock;
  log: Log;
  env: NodeJS.ProcessEnv;
  /** The run's abort signal: interrupts the Marathon requests made without one of their own (and their leader wait). */
  signal?: AbortSignal;
}

/** DEPLOYER_MARATHON_USER / DEPLOYER_MARATHON_PASSWORD, or DEPLOYER_MARATHON_TOKEN (DC/OS), wrapped where they enter. */
export function marathonAuthFromEnv(env: NodeJS.ProcessEnv, configFile: string): MarathonAuth | undefined {
  const user = env.DEPLOYER_MARATHON_USER;
  const password = env.DEPLOYER_MARATHON_PASSWORD;
  const token = env.DEPLOYER_MARATHON_TOKEN;
  if (token && (user || password)) {
    throw new ConfigError(configFile, [{ path: '(environment)', message: 'DEPLOYER_MARATHON_TOKEN and DEPLOYER_MARATHON_USER/PASSWORD exclude each other (one Authorization header)' }]);
  }
  if (token) return { token: sensitive(token) };
  if (!user && !password) return undefined;
  if (!user || password === undefined) {
    throw new ConfigError(configFile, [{ path: '(environment)', message: 'DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD must be set together' }]);
  }
  return { user: sensitive(user), password: sensitive(password) };
}

function unconfigured(configFile: string): SchedulerPort {
  const refuse = async (): Promise<never> => {
    throw new ConfigError(configFile, [{ path: 'deploy', message: 'is required for deploy, destroy, gc, status and switch (see deployer.example.yaml)' }]);
  };
  return { name: 'docker', about: refuse, list: refuse, get: refuse, deploy: refuse, destroy: refuse };
}

export function schedulerFor(w: SchedulerWiring): SchedulerPort {
  const deploy = w.config.deploy;
  if (!deploy) return unconfigured(w.configFile);
  if (deploy.scheduler === 'marathon') {
    const m = deploy.marathon;
    if (!m) {
      const refuse = async (): Promise<never> => {
        throw new ConfigError(w.configFile, [{ path: 'deploy/marathon', message: 'is required when deploy.scheduler is marathon' }]);
      };
      return { name: 'marathon', about: refuse, list: refuse, get: refuse, deploy: refuse, destroy: refuse };
    }
    let auth: MarathonAuth | undefined;
    try {
      auth = marathonAuthFromEnv(w.env, w.configFile);
    } catch (e) {
      // Reported when Marathon is used, not by every command that merely builds the ports.
      const refuse = async (): Promise<never> => {
        throw e;
      };
      return { name: 'marathon', about: refuse, list: refuse, get: refuse, deploy: refuse, destroy: refuse };
    }
    // Loaded on first use: a status or switch on the docker scheduler never needs Marathon's
    // modules (the event stream parser among them).
    return lazyPort<SchedulerPort, 'name'>(async () => {
      const [{ marathonClient }, { marathonScheduler }] = await Promise.all([import('./marathon/client.js'), import('./marathon/index.js')]);
      const client = marathonClient({
        url: m.url,
        ...(auth ? { auth } : {}),
        ...(m.caFile ? { caFile: w.resolvePath(m.caFile) } : {}),
        requestTimeoutMs: m.requestTimeoutSeconds * 1000,
        retry: { leaderWaitMs: m.leaderWaitSeconds * 1000 },
        sleep: (ms, signal) => w.clock.sleep(ms, signal),
        now: () => w.clock.now().getTime(),
        ...(w.signal ? { signal: w.signal } : {}),
        debug: (msg) => w.log.debug(msg),
        notice: (msg) => w.log.warn(msg),
      });
      return marathonScheduler({ client, appPrefix: m.appPrefix, cpus: m.cpus, mem: m.mem, healthProtocol: m.healthCheck.protocol, clock: w.clock });
    }, { name: 'marathon' });
  }
  const dockerHost = w.env.DOCKER_HOST;
  const endpoint = dockerHost ? `docker (${dockerHost})` : 'docker (local engine)';
  if (deploy.scheduler === 'swarm') {
    return swarmScheduler({ swarm: w.swarm, config: swarmConfigOf(deploy), endpoint: dockerHost ?? 'local engine', clock: w.clock });
  }
  return dockerScheduler(w.docker, {
    bindAddress: deploy.bindAddress,
    endpoint,
    // A wildcard bind on a remote engine is reached at that engine's host.
    wildcardHost: remoteHost(dockerHost) ?? '127.0.0.1',
    clock: w.clock,
  });
}

function remoteHost(dockerHost: string | undefined): string | undefined {
  if (!dockerHost || !/^(tcp|ssh|https?):\/\//.test(dockerHost)) return undefined;
  try {
    return new URL(dockerHost).hostname || undefined;
  } catch {
    return undefined;
  }
}
