import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { redactText, sensitive } from '../../../src/core/sensitive.js';

describe('sensitive', () => {
  it('prints as [REDACTED] in text, JSON and inspect, and reveals only on request', () => {
    const s = sensitive('hunter2');
    expect(`${s}`).toBe('[REDACTED]');
    expect(JSON.stringify({ password: s })).toBe('{"password":"[REDACTED]"}');
    expect(inspect({ s })).not.toContain('hunter2');
    expect(s.reveal()).toBe('hunter2');
  });

  it('scrubs known secrets from free text', () => {
    expect(redactText('login with hunter2 failed', [sensitive('hunter2'), undefined])).toBe('login with [REDACTED] failed');
  });
});
