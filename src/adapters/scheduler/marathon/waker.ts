/** Sleeps until woken, the timeout passes or the signal aborts. A wake with no sleeper is remembered. */
export class Waker {
  #wake: (() => void) | undefined;
  #pending = false;

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /** Resolves true when woken, false on timeout; rejects with the signal's reason on abort. */
  wait(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve, reject) => {
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#wake = undefined;
        resolve(woken);
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        reject(signal.reason);
      };
      const timer = setTimeout(() => finish(false), Math.max(0, ms));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#wake = () => finish(true);
    });
  }
}
