import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tsFiles } from '../../support/source-files.js';

// src/core is the pure domain: planning must never do I/O. This keeps it so at no cost.
const FORBIDDEN = [
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|http2|dgram|dns|tls|readline|worker_threads)$/,
  /^(dockerode|docker-modem|ssh2|execa|chalk|ora|tar-fs)$/,
];
const CORE = new URL('../../../src/core/', import.meta.url).pathname;

function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

describe('src/core purity', () => {
  const files = [...tsFiles(CORE)];

  it('finds the core files', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each(files.map((f) => [relative(CORE, f), f]))('%s imports nothing that does I/O', (_name, file) => {
    const bad = importsOf(readFileSync(file, 'utf8')).filter((s) => FORBIDDEN.some((re) => re.test(s)));
    expect(bad).toEqual([]);
  });

  it('the check itself catches a forbidden import', () => {
    expect(importsOf("import { readFile } from 'node:fs/promises';\nimport x from 'dockerode';"))
      .toEqual(['node:fs/promises', 'dockerode']);
  });
});
