import { systemClock } from '../clock.js';
import { type RetryPolicy } from '../../core/build/retry.js';
import type { ImagesPort } from '../../ports/images.js';
import type { Log } from '../../ports/log.js';
import { registryClient, type RegistryClient } from '../registry.js';
import { buildImage } from './build.js';
import type { EngineApi } from './engine-api.js';
import { commitContainer } from './commit.js';
import { authConfig, type CredentialsLoader, type RegistryCredentials } from './registry-auth.js';
import { snapshotImage } from './snapshot.js';
import { pullImage, pushImage, type TransferDeps } from './transfer.js';

// The ImagesPort over the Engine API (build, commit, push, pull, export) and the registry's HTTP API
// (lookups). Construction does no I/O: credentials are read on first use.

export interface ImagesAdapterOptions {
  /** registry.host, or undefined: then nothing is pushed or pulled, and `remote` answers undefined. */
  registry: string | undefined;
  credentials: CredentialsLoader;
  log?: Log;
  retry?: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultSleep = systemClock.sleep;

export function dockerImages(api: EngineApi, opts: ImagesAdapterOptions): ImagesPort {
  const host = opts.registry;
  let creds: Promise<RegistryCredentials | undefined> | undefined;
  const credentials = () => (creds ??= host ? opts.credentials() : Promise.resolve(undefined));
  let client: RegistryClient | undefined;
  const registry = () => (client ??= registryClient({ host: host!, credentials, log: opts.log, retry: opts.retry, sleep: opts.sleep }));
  const transfer: TransferDeps = {
    api,
    auth: async () => (host ? authConfig(host, await credentials()) : undefined),
    log: opts.log,
    retry: opts.retry,
    sleep: opts.sleep ?? defaultSleep,
    ...(host ? { layerSizes: (ref: string, digest: string, signal?: AbortSignal) => registry().layerSizes(ref, digest, signal) } : {}),
  };

  return {
    registry: host,
    async registryAccess(signal) {
      if (host) await registry().ping(signal);
    },
    async remote(ref, signal) {
      if (!host) return undefined;
      return registry().image(ref, signal);
    },
    async build(req) {
      const auth = host ? authConfig(host, await credentials()) : undefined;
      return buildImage(api, req, auth ? { [host!]: { username: auth.username, password: auth.password } } : undefined);
    },
    push: (ref, o) => pushImage(transfer, ref, o),
    pull: (ref, o) => pullImage(transfer, ref, o),
    commit: (req) => commitContainer(api, req),
    snapshot: (image, o) => snapshotImage(api, image, o.signal),
  };
}
