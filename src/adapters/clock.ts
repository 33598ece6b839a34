import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../ports/clock.js';

export const systemClock: Clock = {
  now: () => new Date(),
  // Node's timer rejects an abort with a generic AbortError ("The operation was aborted"); callers
  // map the abort *reason* (the signal that interrupted us) to exit 130, so that is what we reject with.
  sleep: async (ms, signal) => {
    try {
      await delay(ms, undefined, signal ? { signal } : undefined);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw e;
    }
  },
};
