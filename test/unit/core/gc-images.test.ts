import { describe, expect, it } from 'vitest';
import { decideImageGc, type GcImage } from '../../../src/core/gc/images.js';

const rev = (n: number) => String(n).repeat(40).slice(0, 40);
const img = (n: number, over: Partial<GcImage> = {}): GcImage => ({
  where: 'engine', kind: 'delta', repository: 'r/app', key: `id${n}`, refs: [`r/app:${rev(n)}`], revision: rev(n), size: n * 100, created: new Date(n * 1000), ...over,
});
const verdicts = (images: GcImage[], p: Partial<Parameters<typeof decideImageGc>[1]> = {}) =>
  Object.fromEntries(decideImageGc(images, { live: undefined, rollback: undefined, environments: [], keep: 2, ...p }).map((v) => [v.image.key, v.remove ? 'remove' : v.why]));

describe('decideImageGc', () => {
  it('keeps the newest `keep` per kind and place, and removes the rest', () => {
    expect(verdicts([1, 2, 3, 4].map((n) => img(n)))).toEqual({ id4: 'one of the newest 2', id3: 'one of the newest 2', id2: 'remove', id1: 'remove' });
  });
  it('always keeps live, rollback target, environments, containers, the newest full image, :latest and unknown ages', () => {
    const images = [
      img(1), img(2), img(3), img(4), img(5), img(6), img(7, { created: undefined }),
      img(8, { kind: 'full', key: 'f8', refs: ['r/app-full:x', 'r/app-full:latest'] }),
      img(9, { where: 'registry', key: 'd9' }),
    ];
    expect(verdicts(images, { live: rev(1), rollback: rev(2), environments: [{ revision: rev(3), image: 'r/app@sha256:x' }], keep: 1 })).toMatchObject({
      id1: 'live', id2: 'rollback target', id3: 'used by the environment of 333333333333', id4: 'remove', id5: 'remove', id6: 'remove', id7: 'one of the newest 1',
      f8: 'the newest full image', d9: 'one of the newest 1',
    });
    expect(verdicts([img(4, { inUse: true }), img(5), img(6)], { keep: 1 })).toEqual({ id6: 'one of the newest 1', id5: 'remove', id4: 'a container was created from it' });
  });
});
