import { describe, expect, it } from 'vitest';
import { cleanPath, dockerignoreMatcher, invalidPatterns, parseDockerignore } from '../../../src/core/build/dockerignore.js';

describe('parseDockerignore', () => {
  it('reads lines the way Docker does: comments, blanks, trimming, cleaning, leading slash, exceptions', () => {
    const text = '\uFEFF# comment\n\n  node_modules  \n/build/\n./docs//api/../guide\n!  keep.md\n  # not a comment once indented\r\n';
    expect(parseDockerignore(text)).toEqual(['node_modules', 'build', 'docs/guide', '!keep.md', '# not a comment once indented']);
  });

  it('cleans paths like Go path.Clean', () => {
    expect(cleanPath('a//b/./c/')).toBe('a/b/c');
    expect(cleanPath('a/../../b')).toBe('../b');
    expect(cleanPath('/../a')).toBe('/a');
    expect(cleanPath('')).toBe('.');
  });
});

describe('dockerignoreMatcher', () => {
  // [patterns, path, excluded]
  const cases: [string[], string, boolean][] = [
    [[], 'anything', false],
    [['*.log'], 'app.log', true],
    [['*.log'], 'logs/app.log', false], // * never crosses /
    [['**/*.log'], 'logs/deep/app.log', true],
    [['**/*.log'], 'app.log', true],
    [['notes'], 'notes/todo.md', true], // a matching parent excludes its children
    [['notes/'], 'notes/todo.md', true],
    [['notes'], 'notesfile', false],
    [['docs/*'], 'docs/a/b.md', true], // docs/a matches, so everything below it
    [['a?c'], 'abc', true],
    [['a?c'], 'a/c', false],
    [['[ab].txt'], 'b.txt', true],
    [['*', '!keep.md'], 'keep.md', false],
    [['*', '!keep.md'], 'other.md', true],
    [['*.md', '!README.md', 'README.md'], 'README.md', true], // last match wins
    [['docs', '!docs/keep.md'], 'docs/keep.md', false],
    [['docs', '!docs/keep.md'], 'docs/other.md', true],
    [['build/**'], 'build/x/y', true],
    [['build/**'], 'buildx/y', false],
    [['**'], 'a/b', true],
    [['a+b(c)'], 'a+b(c)', true], // regexp specials are literal
    [['.git'], '.git/config', true],
    [['Dockerfile'], 'sub/Dockerfile', false],
  ];
  it.each(cases)('%j: %s → excluded %s', (patterns, path, excluded) => {
    expect(dockerignoreMatcher(patterns)(path)).toBe(excluded);
  });

  it('reports patterns Docker would reject', () => {
    expect(invalidPatterns(['ok', '[unclosed'])).toEqual(['[unclosed']);
  });
});
