import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, isTransientMessage, isTransientStatus } from '../../../src/core/build/retry.js';
import { parseRef } from '../../../src/core/build/refs.js';
import { checkLayerBudget } from '../../../src/core/build/layers.js';
import { PreconditionError } from '../../../src/core/errors.js';

describe('what is worth retrying', () => {
  it.each([
    ['Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', true],
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['Put "http://reg/v2/x/blobs/uploads/1": EOF', true],
    ['net/http: TLS handshake timeout', true],
    ['ECONNRESET (read ECONNRESET)', true],
    ['unauthorized: authentication required', false],
    ['no basic auth credentials', false],
    ['denied: requested access to the resource is denied', false],
    ['manifest unknown: manifest unknown', false],
    ['An image does not exist locally with the tag: reg:5000/x', false],
    ['received unexpected HTTP status: 404 Not Found', false],
    ['something odd', false],
  ])('%s → %s', (message, transient) => {
    expect(isTransientMessage(message)).toBe(transient);
  });

  it('retries 5xx statuses only', () => {
    expect([500, 502, 503, 401, 404, 429].map(isTransientStatus)).toEqual([true, true, true, false, false, false]);
  });

  it('backs off exponentially up to a cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffDelay(DEFAULT_RETRY, n))).toEqual([250, 500, 1000, 2000, 4000]);
  });
});

describe('image references', () => {
  it.each([
    ['127.0.0.1:5000/team/app:abc', { repository: '127.0.0.1:5000/team/app', tag: 'abc', registry: '127.0.0.1:5000', path: 'team/app' }],
    ['127.0.0.1:5000/app', { repository: '127.0.0.1:5000/app', tag: 'latest', registry: '127.0.0.1:5000', path: 'app' }],
    ['team/app:1', { repository: 'team/app', tag: '1', registry: undefined, path: 'team/app' }],
    ['localhost/app:x', { repository: 'localhost/app', tag: 'x', registry: 'localhost', path: 'app' }],
  ])('%s', (ref, parsed) => {
    expect(parseRef(ref)).toEqual(parsed);
  });
});

describe('layer budget', () => {
  it('allows a delta while base + 1 stays within build.maxLayers', () => {
    expect(checkLayerBudget('x', 119, 120)).toMatchObject({ after: 120, remaining: 0 });
  });
  it('refuses (exit 4) with a full-build hint beyond it', () => {
    const e = (() => {
      try {
        checkLayerBudget('reg/full:latest', 120, 120);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as PreconditionError).exitCode).toBe(4);
    expect((e as PreconditionError).hint).toMatch(/full-build/);
  });
});
