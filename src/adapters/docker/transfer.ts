import { PreconditionError, StepFailedError } from '../../core/errors.js';
import { backoffDelay, DEFAULT_RETRY, isTransientMessage, type RetryPolicy } from '../../core/build/retry.js';
import { parseRef } from '../../core/build/refs.js';
import { redactText, sensitive } from '../../core/sensitive.js';
import type { PushResult, TransferOptions } from '../../ports/images.js';
import type { Log } from '../../ports/log.js';
import { imagePath, registryHeader, type EngineApi } from './engine-api.js';
import { daemonMessage } from './engine-errors.js';
import { humanBytes } from '../../core/bytes.js';
import { followStream, type ProgressEvent } from './progress.js';

// docker push / pull through the engine, retried with backoff when the registry is unreachable or
// answers 5xx (the engine reports both inside a 200 stream), never on 401/404. A push is proven by
// its aux.Digest frame; bytes pushed are counted per layer from the progress frames.

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

export interface TransferDeps {
  api: EngineApi;
  auth: () => Promise<AuthConfig | undefined>;
  log?: Log;
  retry?: RetryPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Compressed layer sizes of a pushed manifest, keyed by truncated diff id (the ids push progress
   * uses). Small layers push without progress frames, so sizes come from the registry when it can.
   */
  layerSizes?: (ref: string, digest: string, signal?: AbortSignal) => Promise<Map<string, number>>;
}

/** Tallies push progress: per layer, the furthest `current` seen while Pushing. */
export class PushTally {
  readonly #pushed = new Map<string, number>();
  readonly #existing = new Set<string>();
  digest: string | undefined;
  add(e: ProgressEvent): string | undefined {
    if (e.aux?.Digest) this.digest = e.aux.Digest;
    if (!e.id || !e.status) return undefined;
    if (e.status === 'Pushing') {
      const cur = e.progressDetail?.current ?? 0;
      this.#pushed.set(e.id, Math.max(this.#pushed.get(e.id) ?? 0, cur));
      return `${e.id}: pushing ${e.progress ?? ''}`.trim();
    }
    if (e.status === 'Pushed') {
      if (!this.#pushed.has(e.id)) this.#pushed.set(e.id, 0);
      return `${e.id}: pushed`;
    }
    if (e.status === 'Layer already exists' || e.status.startsWith('Mounted from')) {
      this.#existing.add(e.id);
      return `${e.id}: ${e.status.toLowerCase()}`;
    }
    return undefined;
  }
  /** Truncated diff ids of the layers this push uploaded. */
  uploaded(): string[] {
    return [...this.#pushed.keys()].filter((id) => !this.#existing.has(id));
  }
  result(sizes?: Map<string, number>): PushResult {
    let bytes = 0;
    for (const id of this.uploaded()) bytes += sizes?.get(id) ?? this.#pushed.get(id) ?? 0;
    return {
      digest: this.digest,
      bytesPushed: bytes,
      layersPushed: [...this.#pushed.keys()].filter((id) => !this.#existing.has(id)).length,
      layersExisting: this.#existing.size,
    };
  }
}

async function withRetry<T>(deps: TransferDeps, what: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  const policy = deps.retry ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      const message = daemonMessage(e);
      if (attempt >= policy.attempts || !isTransientMessage(message)) throw e;
      const delay = backoffDelay(policy, attempt);
      deps.log?.warn(`${what}: ${message}; retrying in ${delay}ms (attempt ${attempt + 1}/${policy.attempts})`);
      await deps.sleep(delay, signal);
    }
  }
}

function transferError(verb: 'push' | 'pull', ref: string, e: unknown, auth: AuthConfig | undefined): Error {
  const message = redactText(daemonMessage(e), [auth ? sensitive(auth.password) : undefined]);
  if (/unauthorized|authentication required|no basic auth credentials|denied/i.test(message)) {
    return new StepFailedError(`${verb} ${ref}: the registry refused ${auth ? `the credentials of ${auth.username}` : 'an anonymous request'}: ${message}`, {
      hint: 'set DEPLOYER_REGISTRY_USER and DEPLOYER_REGISTRY_PASSWORD (or docker login) with an account that may push',
      cause: e,
      code: 'registry.auth',
    });
  }
  if (isTransientMessage(message)) {
    return new StepFailedError(`${verb} ${ref}: the registry is unreachable: ${message}`, {
      hint: 'is the registry running? check registry.host in deployer.yaml, then run the command again',
      cause: e,
      code: 'registry.unreachable',
    });
  }
  if (/does not exist locally|No such image/i.test(message)) {
    return new PreconditionError(`${verb} ${ref}: ${message}`, { cause: e, code: 'image.missing' });
  }
  return new StepFailedError(`${verb} ${ref} failed: ${message}`, { cause: e, code: `${verb}.failed` });
}

/**
 * After an interrupt, a push under way gets this long to land before deployer stops following it:
 * a registry that never answers must not hold an interrupted run (test/faults/registry.test.ts).
 */
const PUSH_DRAIN_MS = 15_000;

/** Rejects (and destroys the stream) once `ms` have passed since `signal` aborted; `cancel` when done. */
function abandonAfterAbort(stream: NodeJS.ReadableStream, signal: AbortSignal, ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(new Error(`the push did not end within ${ms / 1000} s of the interrupt; the engine may still complete it`));
      }, ms);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return {
    promise,
    cancel() {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}

/** Sent even for an anonymous push or pull (as `{}`), as the docker CLI sends it. */
const authHeader = (auth: AuthConfig | undefined): Record<string, string> => ({ 'X-Registry-Auth': registryHeader(auth ?? {}) });

export async function pushImage(deps: TransferDeps, ref: string, opts: TransferOptions): Promise<PushResult> {
  const { repository, tag } = parseRef(ref);
  const auth = await deps.auth();
  try {
    return await withRetry(deps, `push ${ref}`, opts.signal, async () => {
      const tally = new PushTally();
      // Always name the tag: without it the engine pushes every local tag of the repository.
      // No abortSignal: the engine goes on pushing when its client hangs up (measured in
      // test/faults/signals-build.test.ts), so an interrupted push is followed to its end and the
      // caller reports what landed (a second Ctrl-C still exits at once).
      opts.signal.throwIfAborted();
      const stream = await deps.api.stream({ method: 'POST', path: `/images/${imagePath(repository)}/push`, query: { tag }, headers: authHeader(auth) });
      const giveUp = abandonAfterAbort(stream, opts.signal, PUSH_DRAIN_MS);
      try {
        await Promise.race([
          followStream(stream, (e) => {
            const line = tally.add(e);
            if (line) opts.onProgress?.(`push ${ref}: ${line}`);
          }),
          giveUp.promise,
        ]);
      } finally {
        giveUp.cancel();
      }
      if (!tally.digest) throw new Error(`push of ${ref} ended without a digest (the engine's stream was cut short)`);
      let sizes: Map<string, number> | undefined;
      if (deps.layerSizes && tally.uploaded().length) {
        sizes = await deps.layerSizes(ref, tally.digest, opts.signal).catch(() => undefined);
      }
      const r = tally.result(sizes);
      deps.log?.info(`pushed ${ref} (${r.layersPushed} layer${r.layersPushed === 1 ? '' : 's'} ${humanBytes(r.bytesPushed)}, ${r.layersExisting} already there) ${r.digest}`);
      return r;
    });
  } catch (e) {
    if (opts.signal.aborted) throw opts.signal.reason;
    throw transferError('push', ref, e, auth);
  }
}

export async function pullImage(deps: TransferDeps, ref: string, opts: TransferOptions): Promise<void> {
  const auth = await deps.auth();
  try {
    await withRetry(deps, `pull ${ref}`, opts.signal, async () => {
      const { repository, tag } = parseRef(ref);
      const stream = await deps.api.stream({ method: 'POST', path: '/images/create', query: { fromImage: repository, tag }, headers: authHeader(auth), signal: opts.signal });
      await followStream(stream, (e) => {
        if (e.id && e.status) opts.onProgress?.(`pull ${ref}: ${e.id}: ${e.status.toLowerCase()} ${e.progress ?? ''}`.trim());
      });
    });
  } catch (e) {
    if (opts.signal.aborted) throw opts.signal.reason;
    throw transferError('pull', ref, e, auth);
  }
}
