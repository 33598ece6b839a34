import { abortedOr } from './abort.js';
import { systemClock } from './clock.js';
import { exchange, type ExchangeInit, type ReadResponse } from './http-exchange.js';
import { PreconditionError, StepFailedError } from '../core/errors.js';
import { backoffDelay, DEFAULT_RETRY, isTransientMessage, isTransientStatus, type RetryPolicy } from '../core/build/retry.js';
import { parseRef } from '../core/build/refs.js';
import type { ImageConfig } from '../ports/docker.js';
import type { RemoteImage } from '../ports/images.js';
import type { Log } from '../ports/log.js';
import type { CredentialsLoader, RegistryCredentials } from './docker/registry-auth.js';

// The registry's HTTP API (distribution v2): is it there, may we in, what is under a tag (manifest
// digest, config digest = image id, labels, layer count); the few writes test records and
// `gc --images` need (blob upload, manifest put, tag list, manifest delete); and doctor's pushProbe
// (starts an upload and cancels it). Basic auth, or the Bearer token
// handshake when the registry answers with one. Loopback registries speak plain http (as the engine
// assumes for 127.0.0.0/8); everything else https. Connection failures and 5xx are retried with
// backoff; 4xx never.

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const REQUEST_TIMEOUT_MS = 30_000;

export interface RegistryClientOptions {
  host: string;
  credentials: CredentialsLoader;
  log?: Log;
  retry?: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Manifest {
  mediaType?: string;
  schemaVersion?: number;
  config?: { digest: string };
  layers?: { digest: string; size: number }[];
  manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[];
}

interface ImageConfigBlob {
  created?: string;
  config?: ImageConfig;
  rootfs?: { diff_ids?: string[] };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function transportMessage(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err?.code ? `${err.code}${err.message ? ` (${err.message})` : ''}` : (err?.message ?? String(e));
}

const defaultSleep = systemClock.sleep;

export function registryClient(opts: RegistryClientOptions) {
  const { host } = opts;
  const base = `${isLoopbackHost(host) ? 'http' : 'https'}://${host}`;
  const policy = opts.retry ?? DEFAULT_RETRY;
  const sleep = opts.sleep ?? defaultSleep;
  let creds: Promise<RegistryCredentials | undefined> | undefined;
  const credentials = () => (creds ??= opts.credentials());
  const tokens = new Map<string, string>();
  let scheme: 'basic' | 'bearer' | undefined;

  const basic = (c: RegistryCredentials) => `Basic ${Buffer.from(`${c.username}:${c.password.reveal()}`).toString('base64')}`;

  function authError(status: number, c: RegistryCredentials | undefined, what: string): PreconditionError {
    return new PreconditionError(
      c ? `registry ${host} refused the credentials of ${c.username} (HTTP ${status} on ${what})` : `registry ${host} requires credentials (HTTP ${status} on ${what})`,
      {
        hint: c
          ? `check the password (from ${c.source}); DEPLOYER_REGISTRY_USER/DEPLOYER_REGISTRY_PASSWORD override ~/.docker/config.json`
          : 'set DEPLOYER_REGISTRY_USER and DEPLOYER_REGISTRY_PASSWORD, or `docker login` so ~/.docker/config.json has them',
        code: 'registry.auth',
      },
    );
  }

  /**
   * One HTTP exchange with retries on transport failures and 5xx. The body is read inside the
   * attempt and its timeout (http-exchange.ts): a connection cut (or stalled) in the middle of a
   * manifest or config blob is retried like one refused, not a crash in the caller's res.json().
   * Everything this client reads is small (manifests, image configs, tokens).
   */
  async function exchangeRetrying(url: string, init: Omit<ExchangeInit, 'timeoutMs' | 'signal'>, signal?: AbortSignal): Promise<ReadResponse> {
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      try {
        const res = await exchange(url, { ...init, timeoutMs: REQUEST_TIMEOUT_MS, ...(signal ? { signal } : {}) });
        if (!isTransientStatus(res.status)) return res;
        failure = `HTTP ${res.status} ${res.statusText}`;
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        failure = transportMessage(e);
        if (!isTransientMessage(failure) && !/ECONN|ENOTFOUND|EAI_AGAIN|EPIPE|timeout|aborted|socket hang up/i.test(failure)) {
          throw new StepFailedError(`registry ${host}: ${failure}`, { cause: e, code: 'registry.failed' });
        }
      }
      if (attempt >= policy.attempts) {
        throw new StepFailedError(`registry ${host} is unreachable: ${failure} (${attempt} attempts)`, {
          hint: `is the registry running? check registry.host in deployer.yaml (${base})`,
          code: 'registry.unreachable',
        });
      }
      const delay = backoffDelay(policy, attempt);
      opts.log?.warn(`registry ${host}: ${failure}; retrying in ${delay}ms (attempt ${attempt + 1}/${policy.attempts})`);
      await sleep(delay, signal);
    }
  }

  async function bearerToken(challenge: string, c: RegistryCredentials | undefined, signal?: AbortSignal): Promise<string> {
    const params: Record<string, string> = {};
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
    if (!params.realm) throw new StepFailedError(`registry ${host} sent an unusable challenge: ${challenge}`, { code: 'registry.failed' });
    const key = `${params.service ?? ''}|${params.scope ?? ''}`;
    const cached = tokens.get(key);
    if (cached) return cached;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const res = await exchangeRetrying(url.href, { headers: c ? { authorization: basic(c) } : {} }, signal);
    if (res.status === 401 || res.status === 403) throw authError(res.status, c, 'the token endpoint');
    if (!res.ok) throw new StepFailedError(`registry ${host}: token endpoint answered HTTP ${res.status}`, { code: 'registry.failed' });
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new StepFailedError(`registry ${host}: token endpoint returned no token`, { code: 'registry.failed' });
    tokens.set(key, token);
    return token;
  }

  /** One request with the auth handshake; 401 after authenticating is a PreconditionError. */
  async function send(method: string, path: string, o: { accept?: string | undefined; headers?: Record<string, string>; body?: Uint8Array } = {}, signal?: AbortSignal): Promise<ReadResponse> {
    const url = /^https?:/.test(path) ? path : `${base}${path}`;
    const headers: Record<string, string> = { ...(o.accept ? { accept: o.accept } : {}), ...o.headers };
    const init = () => ({ method, headers, ...(o.body ? { body: o.body } : {}) });
    const c = await credentials();
    if (scheme === 'basic' && c) headers.authorization = basic(c);
    let res = await exchangeRetrying(url, init(), signal);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    if (/^bearer/i.test(challenge)) {
      scheme = 'bearer';
      headers.authorization = `Bearer ${await bearerToken(challenge, c, signal)}`;
    } else {
      scheme = 'basic';
      if (!c) throw authError(401, c, path);
      headers.authorization = basic(c);
    }
    res = await exchangeRetrying(url, init(), signal);
    if (res.status === 401 || res.status === 403) {
      throw authError(res.status, c, path);
    }
    return res;
  }

  const get = (path: string, accept: string | undefined, signal?: AbortSignal) => send('GET', path, { accept }, signal);

  async function expectStatus(res: ReadResponse, ok: number[], what: string): Promise<ReadResponse> {
    if (ok.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    if (res.status === 405 && /UNSUPPORTED/.test(text)) {
      throw new PreconditionError(`registry ${host} does not allow ${what}`, {
        hint: 'deleting needs storage.delete.enabled: true in the registry\'s config.yml',
        code: 'registry.unsupported',
      });
    }
    throw new StepFailedError(`registry ${host}: ${what} answered HTTP ${res.status}: ${text.slice(0, 200)}`, { code: 'registry.failed' });
  }

  /** Uploads a blob unless the repository has it already (monolithic: POST a session, PUT the bytes). */
  async function putBlob(path: string, digest: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    const head = await send('HEAD', `/v2/${path}/blobs/${digest}`, {}, signal);
    if (head.ok) return;
    const session = await expectStatus(await send('POST', `/v2/${path}/blobs/uploads/`, {}, signal), [202], `starting an upload to ${path}`);
    const location = new URL(session.headers.get('location') ?? '', base);
    location.searchParams.set('digest', digest);
    const done = await expectStatus(await send('PUT', location.href, { headers: { 'content-type': 'application/octet-stream' }, body: bytes }, signal), [201], `uploading ${digest} to ${path}`);
  }

  async function json<T>(res: ReadResponse, what: string, signal?: AbortSignal): Promise<T> {
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new StepFailedError(`registry ${host}: ${what} answered HTTP ${res.status}: ${text.slice(0, 200)}`, { code: 'registry.failed' });
    }
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw abortedOr(signal, e);
    }
  }

  return {
    host,
    baseUrl: base,
    putBlob: (repo: string, digest: string, bytes: Uint8Array, signal?: AbortSignal) => putBlob(parseRef(repo).path, digest, bytes, signal),

    /** Blob bytes; undefined when the repository does not have it. */
    async blob(repo: string, digest: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
      const res = await get(`/v2/${parseRef(repo).path}/blobs/${digest}`, undefined, signal);
      if (res.status === 404) return undefined;
      await expectStatus(res, [200], `blob ${digest} of ${repo}`);
      return res.bytes();
    },

    /** The manifest under a tag or digest as stored, with its digest; undefined when absent. */
    async manifest(ref: string, signal?: AbortSignal): Promise<{ digest: string; mediaType: string; body: Uint8Array } | undefined> {
      const { path, tag } = parseRef(ref);
      const res = await get(`/v2/${path}/manifests/${tag}`, MANIFEST_TYPES, signal);
      if (res.status === 404) return undefined;
      await expectStatus(res, [200], `manifest ${ref}`);
      return { digest: res.headers.get('docker-content-digest') ?? '', mediaType: res.headers.get('content-type') ?? '', body: res.bytes() };
    },

    async putManifest(ref: string, mediaType: string, body: Uint8Array, signal?: AbortSignal): Promise<string> {
      const { path, tag } = parseRef(ref);
      const res = await expectStatus(await send('PUT', `/v2/${path}/manifests/${tag}`, { headers: { 'content-type': mediaType }, body }, signal), [201], `putting the manifest ${ref}`);
      return res.headers.get('docker-content-digest') ?? '';
    },

    /** Every tag of a repository (none when the registry does not know it). */
    async tags(repo: string, signal?: AbortSignal): Promise<string[]> {
      const res = await get(`/v2/${parseRef(repo).path}/tags/list`, undefined, signal);
      if (res.status === 404) return [];
      return (await json<{ tags?: string[] | null }>(res, `tags of ${repo}`)).tags ?? [];
    },

    /** Deletes a manifest by digest, and with it every tag naming it; blobs stay until the registry's own GC. */
    async deleteManifest(repo: string, digest: string, signal?: AbortSignal): Promise<void> {
      const res = await send('DELETE', `/v2/${parseRef(repo).path}/manifests/${digest}`, {}, signal);
      if (res.status === 404) return undefined;
      await expectStatus(res, [202], `deleting ${repo}@${digest}`);
    },

    async ping(signal?: AbortSignal): Promise<void> {
      const res = await get('/v2/', undefined, signal);
      if (res.status === 403) throw authError(403, await credentials(), '/v2/');
      if (!res.ok) throw new StepFailedError(`registry ${host}: GET /v2/ answered HTTP ${res.status}`, { code: 'registry.failed' });
    },

    /**
     * Push permission without pushing: starts a blob upload and cancels it (the registry keeps
     * nothing; an upload it never saw completed is not a blob). For `deployer doctor`.
     */
    async pushProbe(repository: string, signal?: AbortSignal): Promise<void> {
      const res = await send('POST', `/v2/${repository}/blobs/uploads/`, {}, signal);
      if (res.status !== 202) {
        throw new PreconditionError(`registry ${host}: may not push to ${repository} (starting an upload answered HTTP ${res.status})`, {
          hint: 'give the user push permission on that repository, or check images.delta / images.full',
          code: 'registry.push',
        });
      }
      const location = res.headers.get('location');
      if (!location) return;
      const upload = new URL(location, base);
      const cancel = await send('DELETE', `${upload.pathname}${upload.search}`, {}, signal);
      if (!cancel.ok && cancel.status !== 404) {
        throw new StepFailedError(`registry ${host}: cancelling the probe upload answered HTTP ${cancel.status}`, {
          hint: 'the registry purges abandoned uploads itself (storage.maintenance.uploadpurging)',
          code: 'registry.failed',
        });
      }
    },

    /** Compressed size of each layer of a manifest, keyed by the 12-hex truncated diff id. */
    async layerSizes(ref: string, digest: string, signal?: AbortSignal): Promise<Map<string, number>> {
      const { path } = parseRef(ref);
      const manifest = await json<Manifest>(await get(`/v2/${path}/manifests/${digest}`, MANIFEST_TYPES, signal), `manifest ${ref}@${digest}`, signal);
      const sizes = new Map<string, number>();
      if (!manifest.config?.digest || !manifest.layers) return sizes;
      const blob = await json<ImageConfigBlob>(await get(`/v2/${path}/blobs/${manifest.config.digest}`, undefined, signal), `config of ${ref}`, signal);
      const diffIds = blob.rootfs?.diff_ids ?? [];
      manifest.layers.forEach((l, i) => {
        const diffId = diffIds[i];
        if (diffId) sizes.set(diffId.replace(/^sha256:/, '').slice(0, 12), l.size);
      });
      return sizes;
    },

    async image(ref: string, signal?: AbortSignal): Promise<RemoteImage | undefined> {
      const { path, tag, digest: pinned } = parseRef(ref);
      let res = await get(`/v2/${path}/manifests/${pinned ?? encodeURIComponent(tag)}`, MANIFEST_TYPES, signal);
      if (res.status === 404) {
        return undefined;
      }
      let digest = res.headers.get('docker-content-digest') ?? '';
      let manifest = await json<Manifest>(res, `manifest ${ref}`, signal);
      if (manifest.manifests) {
        const arch = process.arch === 'x64' ? 'amd64' : process.arch;
        const pick = manifest.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? manifest.manifests[0];
        if (!pick) return undefined;
        res = await get(`/v2/${path}/manifests/${pick.digest}`, MANIFEST_TYPES, signal);
        digest = pick.digest;
        manifest = await json<Manifest>(res, `manifest ${ref}@${pick.digest}`, signal);
      }
      if (!manifest.config?.digest) {
        throw new StepFailedError(`registry ${host}: ${ref} has a schema ${manifest.schemaVersion ?? '?'} manifest without a config`, {
          hint: 'push it again with a current Docker engine (schema 2)',
          code: 'registry.failed',
        });
      }
      const blob = await json<ImageConfigBlob>(await get(`/v2/${path}/blobs/${manifest.config.digest}`, undefined, signal), `config of ${ref}`, signal);
      const config = blob.config ?? {};
      return {
        ref,
        digest,
        id: manifest.config.digest,
        created: blob.created ? new Date(blob.created) : undefined,
        labels: config.Labels ?? {},
        layers: blob.rootfs?.diff_ids?.length ?? manifest.layers?.length ?? 0,
        config,
      };
    },
  };
}

export type RegistryClient = ReturnType<typeof registryClient>;
