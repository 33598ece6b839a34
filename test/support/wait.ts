// Polling helpers for integration tests.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** What is being waited for, in words; it names the timeout error ("Timed out after 5000ms waiting for registry /v2/"). */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    const last =
      lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
    super(`Timed out after ${timeoutMs}ms waiting for ${what} (${attempts} attempts)${last}`, { cause: lastError });
  }
}

/**
 * Calls `fn` until it returns a truthy value, which is returned. A falsy result or a thrown error
 * means "not yet": the error is kept and quoted in the timeout error. An attempt that is still
 * pending when the deadline passes does not hold up the timeout.
 * Errors thrown as `StopWaiting` end the wait at once (for "the process died, stop polling").
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        Promise.resolve().then(fn),
        new Promise<typeof TIMEOUT>((resolve) => {
          timer = setTimeout(() => resolve(TIMEOUT), Math.max(remaining, 0));
        }),
      ]);
      if (value === TIMEOUT) throw new WaitTimeoutError(opts.what, timeoutMs, attempts, lastError);
      if (value) return value as NonNullable<T>;
    } catch (err) {
      if (err instanceof StopWaiting || err instanceof WaitTimeoutError) throw err;
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() + intervalMs > deadline) throw new WaitTimeoutError(opts.what, timeoutMs, attempts, lastError);
    await sleep(intervalMs);
  }
}

const TIMEOUT = Symbol('timeout');

/** Throw from a `waitFor` callback to stop waiting immediately with this error. */
export class StopWaiting extends Error {
  override name = 'StopWaiting';
}
