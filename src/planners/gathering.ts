import { InterruptedError } from '../core/errors.js';
import type { Ports } from '../ports/index.js';

/**
 * Gathering may open SSH connections; they are closed before planning (apply reopens them).
 * Gathering only reads, so an interrupt ends it at once (exit 130): a read that never answers (a
 * Docker API or registry that accepts and hangs) must not hold a Ctrl-C.
 */
export async function gathering<T>(ports: Pick<Ports, 'lb'>, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => {
      const why = signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason ?? 'interrupted');
      reject(new InterruptedError(`interrupted (${why}) while gathering facts; nothing was changed`, { hint: 'run the command again' }));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await (signal ? Promise.race([fn(), interrupted]) : fn());
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await ports.lb.closeAll();
  }
}
