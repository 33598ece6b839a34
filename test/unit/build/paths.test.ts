import { describe, expect, it } from 'vitest';
import { ancestorDirs, batches, byDepth, deepestFirst, imagePath } from '../../../src/core/build/paths.js';

describe('repository → image paths', () => {
  it('maps the repo root onto appDir as COPY . <appDir> does', () => {
    expect(imagePath('/app', 'index.html')).toBe('/app/index.html');
    expect(imagePath('/opt/Web-App/current/', 'lib/WebApp.pm')).toBe('/opt/Web-App/current/lib/WebApp.pm');
    expect(imagePath('/', 'a/b')).toBe('/a/b');
  });

  it('lists ancestors deepest first, and orders directories after their contents', () => {
    expect(ancestorDirs('a/b/c.txt')).toEqual(['a/b', 'a']);
    expect(ancestorDirs('top.txt')).toEqual([]);
    expect(deepestFirst(['a', 'a/b', 'x', 'a/b', 'a/b/c'])).toEqual(['a/b/c', 'a/b', 'a', 'x']);
  });

  it('batches long argument lists by size', () => {
    const items = Array.from({ length: 10 }, (_, i) => `${'x'.repeat(9)}${i}`);
    const b = batches(items, 33);
    expect(b.flat()).toEqual(items);
    expect(b.every((x) => x.length === 3 || x === b[b.length - 1])).toBe(true);
    expect(batches([])).toEqual([]);
  });
});

describe('byDepth', () => {
  it('groups directories by depth, deepest group first, for bottom-up removal', () => {
    expect(byDepth(['a', 'a/b/c', 'x/y', 'a/b', 'b/c'])).toEqual([['a/b/c'], ['a/b', 'b/c', 'x/y'], ['a']]);
  });
});
