import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { configKeys, CONTAINER_ENVIRONMENT, ENVIRONMENT, REFERENCE_PATH, renderReference } from '../../scripts/reference.js';
import { ROOT } from '../support/cli.js';

// docs/reference.md is generated (scripts/reference.ts); these keep it and its sources honest.

const example = () => readFile(join(ROOT, 'deployer.example.yaml'), 'utf8');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sourceFiles(p)));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('docs/reference.md', () => {
  it('is what scripts/reference.ts generates (run `npm run reference` after changing a command, the schema or the example)', async () => {
    expect(await readFile(REFERENCE_PATH, 'utf8')).toBe(renderReference(await example()));
  });

  it('has a section for every command `deployer --help` lists', async () => {
    const help = buildProgram(() => async () => {}).helpInformation();
    const commands = [...help.split('Commands:')[1]!.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(15);
    const reference = await readFile(REFERENCE_PATH, 'utf8');
    for (const c of commands) expect(reference, c).toMatch(new RegExp(`^### \`deployer ${c}[ \`]`, 'm'));
  });

  it('every config key the schema has is shown in deployer.example.yaml (set, or commented out)', async () => {
    const rows = configKeys(await example()).filter((r) => !r.path.includes('*'));
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.filter((r) => r.example === undefined).map((r) => r.path)).toEqual([]);
  });

  it('lists exactly the environment variables src/ reads', async () => {
    const read = new Set<string>();
    for (const f of await sourceFiles(join(ROOT, 'src'))) {
      const text = await readFile(f, 'utf8');
      for (const re of [/\benv\.([A-Z][A-Z0-9_]+)/g, /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g, /'([A-Z][A-Z0-9_]+)' in (?:process\.)?env\b/g, /'(DEPLOYER_[A-Z0-9_]+)'/g]) {
        for (const m of text.matchAll(re)) read.add(m[1]!);
      }
    }
    const listed = [...ENVIRONMENT, ...CONTAINER_ENVIRONMENT].map((e) => e.name);
    expect([...read].filter((n) => !listed.includes(n)).sort()).toEqual([]);
    expect(ENVIRONMENT.map((e) => e.name).filter((n) => !read.has(n)).sort()).toEqual([]);
  });
});
