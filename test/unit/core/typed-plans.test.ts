import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../../support/source-files.js';
import { makePlan } from '../../../src/core/plan.js';
import { resultFamily, resultKey, Results } from '../../../src/exec/results.js';
import { planHistory } from '../../../src/planners/history.js';

// Plans carry their planner's facts type and step results travel under typed keys
// (src/core/plan.ts, src/exec/results.ts): a reader that casts plan data instead would compile
// against a shape nobody checks. The source check below fails on such a cast; the
// `@ts-expect-error` lines fail `tsc --noEmit` if the types stop being enforced.

const SRC = new URL('../../../src/', import.meta.url).pathname;

/** Casts of plan facts or step results, and the untyped channel they replaced. */
const CASTS = [
  /\bfacts\)?\s+as\s/,
  /as unknown as Record<string, unknown>/,
  /\bvars\.(get|set|has|delete)\(/,
  /\bresults\.get\([^)]*\)\)?\s+as\s/,
  /\bMap<string, unknown>/,
];

export function castsIn(source: string): string[] {
  return source.split('\n').filter((line) => CASTS.some((re) => re.test(line))).map((l) => l.trim());
}

describe('typed plans and results', () => {
  // results.ts is the channel itself: its one Map<string, unknown> is what the keys type.
  const files = [...tsFiles(SRC)].filter((f) => relative(SRC, f) !== join('exec', 'results.ts'));

  it.each(files.map((f) => [relative(SRC, f), f]))('%s casts no plan facts or step results', (_name, file) => {
    expect(castsIn(readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('the check itself catches the casts it forbids', () => {
    expect(castsIn([
      'const f = plan.facts as { revision: string };',
      'const images = (plan.facts as { images: string[] }).images;',
      'return makePlan("status", s, status as unknown as Record<string, unknown>, []);',
      'const e = vars.get(DEPLOYED_ENVIRONMENT) as EnvironmentInfo | undefined;',
      'const v = ctx.results.get(V.shell) as ContainerShell;',
      'const vars = new Map<string, unknown>();',
    ].join('\n'))).toHaveLength(6);
    expect(castsIn('const f = plan.facts;\nconst e = results.get(DEPLOYED_ENVIRONMENT);')).toEqual([]);
  });

  it('a plan has the facts type its planner gave it', () => {
    const plan = planHistory([]);
    expect(plan.facts.entries).toEqual([]);
    // @ts-expect-error: history facts have no such field; a typo does not compile
    expect(plan.facts.entry).toBeUndefined();
    const made = makePlan('x', 'x', { revision: 'abc' }, []);
    const revision: string = made.facts.revision;
    expect(revision).toBe('abc');
  });

  it('a result key fixes the type of what is stored and read under it', () => {
    const results = new Results();
    const count = resultKey<number>('count');
    results.set(count, 3);
    const n: number | undefined = results.get(count);
    expect(n).toBe(3);
    // @ts-expect-error: a string cannot be stored under a number key
    results.set(count, 'three');
    // @ts-expect-error: what is read is number | undefined, not string
    const s: string | undefined = results.get(count);
    expect(s).toBe('three');
  });

  it('a result family lists its members in the order they were set', () => {
    const results = new Results();
    const pushed = resultFamily<{ bytes: number }>('pushed:');
    results.set(pushed.key('b'), { bytes: 2 });
    results.set(resultKey<string>('other'), 'x');
    results.set(pushed.key('a'), { bytes: 1 });
    expect(results.entries(pushed)).toEqual([['b', { bytes: 2 }], ['a', { bytes: 1 }]]);
  });
});
