import type Docker from 'dockerode';
import type { DoctorPort } from '../ports/doctor.js';
import type { Log } from '../ports/log.js';
import { engineError } from './docker/engine-errors.js';
import type { CredentialsLoader } from './docker/registry-auth.js';
import { localLbHost } from './lb/local.js';
import { registryClient } from './registry.js';

// doctor's probes over dockerode (GET /version and /info, as `docker version` and `docker info`)
// and the registry client. Built by src/cli/wire.ts; construction does no I/O.

export interface DoctorAdapterOptions {
  docker: () => Promise<Docker>;
  dockerHost: string | undefined;
  registry: string | undefined;
  credentials: CredentialsLoader;
  log?: Log;
}

export function doctorProbes(opts: DoctorAdapterOptions): DoctorPort {
  let registry: ReturnType<typeof registryClient> | undefined;
  const client = () => {
    if (!opts.registry) throw new Error('no registry is configured');
    return (registry ??= registryClient({ host: opts.registry, credentials: opts.credentials, ...(opts.log ? { log: opts.log } : {}) }));
  };
  return {
    nodeVersion: process.versions.node,
    async engine() {
      const endpoint = opts.dockerHost ?? 'unix:///var/run/docker.sock';
      const docker = await opts.docker();
      try {
        const [version, info] = await Promise.all([docker.version(), docker.info() as Promise<{ Swarm?: { LocalNodeState?: string } }>]);
        return {
          endpoint,
          version: version.Version,
          apiVersion: version.ApiVersion,
          swarm: info.Swarm?.LocalNodeState ?? 'unknown',
        };
      } catch (e) {
        throw engineError(`read its version at ${endpoint}`, e);
      }
    },
    registryPing: () => client().ping(),
    registryPushProbe: (repository) => client().pushProbe(repository),
    local: localLbHost('local'),
  };
}
