import { dockerClient } from '../adapters/docker/client.js';
import { dockerEngine } from '../adapters/docker/engine.js';
import { dockerImages } from '../adapters/docker/images.js';
import { loadRegistryCredentials } from '../adapters/docker/registry-auth.js';
import { gitAt } from '../adapters/git.js';
import { systemClock } from '../adapters/clock.js';
import { containerSsh } from '../adapters/container-ssh.js';
import { localFiles } from '../adapters/files.js';
import { nodeHttp } from '../adapters/http.js';
import { fileRecordStore } from '../adapters/records-file.js';
import { lbHosts } from '../adapters/lb/hosts.js';
import { switchState } from '../adapters/state/index.js';
import { schedulerFor } from '../adapters/scheduler/index.js';
import type { Ports } from '../ports/index.js';
import { configPath, type LoadedConfig } from './config-file.js';
import type { Output } from './output.js';

// The only place adapters are built. Constructing them does no I/O: a command that never touches
// Docker never connects to it.
export function wirePorts(loaded: LoadedConfig, out: Output): Ports {
  const docker = dockerClient();
  const lb = lbHosts({ switchConfig: loaded.config.switch, resolvePath: (p) => configPath(loaded, p), log: out, env: process.env });
  return {
    git: gitAt(configPath(loaded, loaded.config.build.context)),
    docker: dockerEngine(docker),
    clock: systemClock,
    log: out,
    records: fileRecordStore(configPath(loaded, loaded.config.state.dir)),
    http: nodeHttp,
    files: localFiles,
    scheduler: schedulerFor({
      config: loaded.config,
      configFile: loaded.path,
      resolvePath: (p) => configPath(loaded, p),
      docker: dockerEngine(docker),
      clock: systemClock,
      log: out,
      env: process.env,
    }),
    images: dockerImages(docker, {
      registry: loaded.config.registry?.host,
      credentials: () => loadRegistryCredentials(loaded.config.registry!.host, process.env),
      log: out,
    }),
    containerSsh: containerSsh({
      user: loaded.config.exec.ssh.user,
      keyFile: loaded.config.exec.ssh.keyFile === undefined ? undefined : configPath(loaded, loaded.config.exec.ssh.keyFile),
      env: process.env,
      log: out,
    }),
    lb,
    ...switchState({ config: loaded.config, lb, clock: systemClock }),
  };
}
