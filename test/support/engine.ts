import Docker from 'dockerode';
import { plainEngineSocket } from '../../src/adapters/docker/client.js';
import type { EngineApi } from '../../src/adapters/docker/engine-api.js';
import { modemApi } from '../../src/adapters/docker/engine-modem.js';
import { socketApi } from '../../src/adapters/docker/engine-socket.js';

/** The local engine as deployer reaches it by default: plain HTTP on its unix socket. */
export const localEngine = (): EngineApi => socketApi(plainEngineSocket(process.env) ?? '/var/run/docker.sock');

/** Both transports deployer has, to the same local engine: tests run the same calls through each. */
export const transports: [string, () => EngineApi][] = [
  ['unix socket', localEngine],
  ['dockerode modem', () => modemApi(new Docker().modem)],
];
