import { describe, expect, it } from 'vitest';
import { diffLines, unifiedDiff } from '../../../src/core/nginx/diff.js';

const L = { oldLabel: 'a/f', newLabel: 'b/f' };

function apply(a: string[], ops: ReturnType<typeof diffLines>): { from: string[]; to: string[] } {
  return { from: ops.filter((o) => o.kind !== '+').map((o) => o.line), to: ops.filter((o) => o.kind !== '-').map((o) => o.line) };
}

describe('diffLines', () => {
  it.each([
    [[], []],
    [['a'], []],
    [[], ['a']],
    [['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']],
    [['x', 'y'], ['x', 'y']],
    [['1', '2', '3', '4'], ['0', '2', '3', '5']],
  ])('turns %j into %j with a shortest script', (a, b) => {
    const ops = diffLines(a, b);
    expect(apply(a, ops)).toEqual({ from: a, to: b });
    // The classic Myers example has an edit distance of 5.
    if (a.length === 7) expect(ops.filter((o) => o.kind !== ' ').length).toBe(5);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\n', 'a\n', L)).toEqual([]);
  });

  it('shows one hunk with context', () => {
    const old = 'upstream backend {\n    server a:1;\n    server b:2;\n}\n';
    const neu = 'upstream backend {\n    server c:3;\n}\n';
    expect(unifiedDiff(old, neu, L)).toEqual([
      '--- a/f',
      '+++ b/f',
      '@@ -1,4 +1,3 @@',
      ' upstream backend {',
      '-    server a:1;',
      '-    server b:2;',
      '+    server c:3;',
      ' }',
    ]);
  });

  it('splits far-apart changes into hunks with correct ranges', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
    const b = [...a];
    b[1] = 'X';
    b[17] = 'Y';
    const d = unifiedDiff(`${a.join('\n')}\n`, `${b.join('\n')}\n`, L);
    expect(d.filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
  });

  it('diffs against a missing file as /dev/null', () => {
    expect(unifiedDiff(undefined, 'a\nb\n', L)).toEqual(['--- /dev/null', '+++ b/f', '@@ -0,0 +1,2 @@', '+a', '+b']);
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('a\nb', 'a\nb\n', L)).toEqual(['--- a/f', '+++ b/f', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+b']);
  });
});
