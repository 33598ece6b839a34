import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/adapters/clock.js';

describe('system clock', () => {
  it('an interrupted sleep rejects with the abort reason, not a generic AbortError', async () => {
    const ac = new AbortController();
    const reason = new Error('SIGINT');
    setTimeout(() => ac.abort(reason), 20);
    await expect(systemClock.sleep(10_000, ac.signal)).rejects.toBe(reason);
  });

  it('a sleep already aborted rejects with the reason at once', async () => {
    const ac = new AbortController();
    ac.abort(new Error('SIGTERM'));
    await expect(systemClock.sleep(10_000, ac.signal)).rejects.toThrow('SIGTERM');
  });
});
