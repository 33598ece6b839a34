import { describe, expect, it } from 'vitest';
import { formatAge, parseDuration } from '../../../src/core/build/duration.js';
import { UsageError } from '../../../src/core/errors.js';

describe('parseDuration', () => {
  it.each([
    ['24h', 86_400_000],
    ['30m', 1_800_000],
    ['45s', 45_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '24', 'h', '24x', '1h 30m', '-1h', '0s', '1h30'])('rejects %j as a usage error', (text) => {
    expect(() => parseDuration(text)).toThrow(UsageError);
  });

  it('formats ages for people', () => {
    expect(formatAge(45_000)).toBe('45s');
    expect(formatAge(5_400_000)).toBe('1h30m');
    expect(formatAge(86_400_000 * 2 + 3_600_000 * 3)).toBe('2d3h');
  });
});
