import type Docker from 'dockerode';
import type { EngineApi } from '../adapters/docker/engine-api.js';
import { gitAt } from '../adapters/git.js';
import { systemClock } from '../adapters/clock.js';
import { localFiles } from '../adapters/files.js';
import { nodeHttp } from '../adapters/http.js';
import { localHooks } from '../adapters/hooks.js';
import { lazyPort } from '../adapters/lazy.js';
import { fileRecordStore } from '../adapters/records-file.js';
import { registryRecordStore } from '../adapters/records-registry.js';
import { registryImages } from '../adapters/registry-images.js';
import type { RegistryClient } from '../adapters/registry.js';
import { lbHosts } from '../adapters/lb/hosts.js';
import { localLbHost } from '../adapters/lb/local.js';
import { switchState } from '../adapters/state/index.js';
import { schedulerFor } from '../adapters/scheduler/index.js';
import type { ContainerSshPort } from '../ports/container-ssh.js';
import type { DockerPort } from '../ports/docker.js';
import type { DoctorPort } from '../ports/doctor.js';
import type { ImagesPort } from '../ports/images.js';
import type { Ports } from '../ports/index.js';
import type { SwarmPort } from '../ports/swarm.js';
import { configPath, type LoadedConfig } from './config-file.js';
import type { Output } from './output.js';

// The only place adapters are built. Constructing them does no I/O: a command that never touches
// Docker never connects to it — nor loads dockerode or ssh2 (src/adapters/lazy.ts).
export function wirePorts(loaded: LoadedConfig, out: Output, signal?: AbortSignal): Ports {
  let client: Promise<Docker> | undefined;
  const dockerClient = () => (client ??= import('../adapters/docker/client.js').then((m) => m.dockerClient()));
  let api: Promise<EngineApi> | undefined;
  const engineApi = () => (api ??= import('../adapters/docker/client.js').then((m) => m.engineApi()));
  const docker = lazyPort<DockerPort>(async () => {
    const [{ dockerEngine }, a] = await Promise.all([import('../adapters/docker/engine.js'), engineApi()]);
    return dockerEngine(a);
  }, {});
  const swarm = lazyPort<SwarmPort>(async () => {
    const [{ dockerSwarm }, { loadRegistryCredentials }, c] = await Promise.all([
      import('../adapters/docker/swarm.js'), import('../adapters/docker/registry-auth.js'), dockerClient(),
    ]);
    const host = loaded.config.registry?.host;
    return dockerSwarm(c, host ? { registry: host, credentials: () => loadRegistryCredentials(host, process.env) } : {});
  }, {});
  const lb = lbHosts({ switchConfig: loaded.config.switch, resolvePath: (p) => configPath(loaded, p), log: out, env: process.env });
  const images = lazyPort<ImagesPort, 'registry'>(async () => {
    const [{ dockerImages }, { loadRegistryCredentials }, a] = await Promise.all([
      import('../adapters/docker/images.js'), import('../adapters/docker/registry-auth.js'), engineApi(),
    ]);
    return dockerImages(a, {
      registry: loaded.config.registry?.host,
      credentials: () => loadRegistryCredentials(loaded.config.registry!.host, process.env),
      log: out,
    });
  }, { registry: loaded.config.registry?.host });
  const containerSsh = lazyPort<ContainerSshPort>(async () => (await import('../adapters/container-ssh.js')).containerSsh({
    user: loaded.config.exec.ssh.user,
    keyFile: loaded.config.exec.ssh.keyFile === undefined ? undefined : configPath(loaded, loaded.config.exec.ssh.keyFile),
    env: process.env,
    log: out,
  }), {});
  const host = loaded.config.registry?.host;
  const cache = fileRecordStore(configPath(loaded, loaded.config.state.dir));
  let registryApi: Promise<RegistryClient> | undefined;
  const registryClientFor = (h: string) => (registryApi ??= Promise.all([import('../adapters/registry.js'), import('../adapters/docker/registry-auth.js')])
    .then(([{ registryClient }, { loadRegistryCredentials }]) => registryClient({ host: h, credentials: () => loadRegistryCredentials(h, process.env), log: out })));
  const records = host ? registryRecordStore(() => registryClientFor(host), cache, { host, log: out }) : cache;
  return {
    git: gitAt(configPath(loaded, loaded.config.build.context), { signal }),
    docker,
    clock: systemClock,
    log: out,
    records,
    http: nodeHttp,
    files: localFiles,
    scheduler: schedulerFor({
      config: loaded.config,
      configFile: loaded.path,
      resolvePath: (p) => configPath(loaded, p),
      docker,
      swarm,
      clock: systemClock,
      log: out,
      env: process.env,
      signal,
    }),
    images,
    registry: registryImages(host, () => registryClientFor(host!)),
    containerSsh,
    lb,
    hooks: localHooks({ cwd: loaded.dir, env: process.env }),
    ...switchState({ config: loaded.config, lb, clock: systemClock }),
  };
}

/** `deployer doctor`'s own probes (engine identity, registry push permission, this machine). */
export function wireDoctor(loaded: LoadedConfig, out: Output): DoctorPort {
  const host = loaded.config.registry?.host;
  return lazyPort<DoctorPort, 'nodeVersion' | 'local'>(async () => {
    const [{ doctorProbes }, { dockerClient }, { loadRegistryCredentials }] = await Promise.all([
      import('../adapters/doctor.js'), import('../adapters/docker/client.js'), import('../adapters/docker/registry-auth.js'),
    ]);
    return doctorProbes({
      docker: async () => dockerClient(),
      dockerHost: process.env.DOCKER_HOST,
      registry: host,
      credentials: () => loadRegistryCredentials(host!, process.env),
      log: out,
    });
  }, { nodeVersion: process.versions.node, local: localLbHost('local') });
}
