import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The executor runs steps; deciding is the planners' work. What both need lives in src/core/
// (docs/ARCHITECTURE.md), so nothing under src/exec/ imports a planner.
const SRC = new URL('../../../src/', import.meta.url).pathname;
const EXEC = join(SRC, 'exec');
const PLANNERS = join(SRC, 'planners');

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** The files a source imports, resolved against its own directory (relative imports only). */
function relativeImports(file: string): string[] {
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  return [...readFileSync(file, 'utf8').matchAll(re)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!));
}

const fromPlanners = (file: string) => relativeImports(file).filter((p) => p.startsWith(PLANNERS + '/'));

describe('src/exec layering', () => {
  const files = [...tsFiles(EXEC)];

  it('finds the executor files', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [relative(SRC, f), f]))('%s imports no planner', (_name, file) => {
    expect(fromPlanners(file).map((p) => relative(SRC, p))).toEqual([]);
  });

  it('the check itself catches a planner import', () => {
    const planners = [...tsFiles(PLANNERS)];
    const importer = planners.find((f) => fromPlanners(f).length > 0);
    expect(importer).toBeDefined();
  });
});
