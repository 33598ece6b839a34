import type Docker from 'dockerode';
import type { EngineApi } from './engine-api.js';

// How this process reaches the engine. DOCKER_HOST unset or unix://: plain HTTP on that socket
// (engine-socket.ts). tcp://, ssh:// and TLS: dockerode's modem, which speaks them all
// (`new Docker()` reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). dockerode loads only then,
// and for Swarm and doctor, which use its object API.
// Never pin an API version: unversioned paths use the daemon's own (docs/traps.md §1).

/** The engine's unix socket when DOCKER_HOST names one (or is unset), else undefined. */
export function plainEngineSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

export async function dockerClient(): Promise<Docker> {
  const { default: Dockerode } = await import('dockerode');
  return new Dockerode();
}

/** From process.env, the one place dockerode reads DOCKER_HOST and the TLS settings too. */
export async function engineApi(): Promise<EngineApi> {
  const socket = plainEngineSocket(process.env);
  if (socket) return (await import('./engine-socket.js')).socketApi(socket);
  const [{ modemApi }, docker] = await Promise.all([import('./engine-modem.js'), dockerClient()]);
  return modemApi(docker.modem);
}
