// Shared by the benchmark scripts (not tests): medians after a warm-up, the CLI as users run it
// (the built bin/deployer), and one results file that every script adds its section to.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { execa, type Options } from 'execa';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = `${ROOT}bin/deployer`;
const RESULTS = `${ROOT}bench/results.json`;

export const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Wall time of one command, in ms; fails loudly when the command fails (a benchmark of an error is no benchmark). */
export async function timeCommand(file: string, args: readonly string[], opts: Options = {}): Promise<number> {
  const t0 = performance.now();
  const r = await execa(file, args, { reject: false, env: { CI: 'true', NO_COLOR: '1' }, ...opts });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.exitCode}: ${String(r.stderr).slice(0, 500)}`);
  return ms;
}

/** Median of `runs` timings after `warmup` untimed ones. */
export async function medianOf(runs: number, fn: () => Promise<number>, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await fn());
  return median(xs);
}

export type Row = { what: string; value: number; unit: 'ms' | 'ratio' | 'MiB' | 'count'; note?: string };

export const fmt = (r: Pick<Row, 'value' | 'unit'>) => (r.unit === 'ms' ? `${r.value.toFixed(0)} ms` : r.unit === 'ratio' ? `${r.value.toFixed(2)}×` : r.unit === 'MiB' ? `${r.value.toFixed(1)} MiB` : String(r.value));

/** Prints the section's table and stores it under `section` in bench/results.json. */
export async function report(section: string, rows: Row[], meta: Record<string, unknown> = {}): Promise<void> {
  console.log(`\n${section}`);
  for (const r of rows) console.log(`  ${r.what.padEnd(58)} ${fmt(r).padStart(12)}${r.note ? `   ${r.note}` : ''}`);
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await readFile(RESULTS, 'utf8')) as Record<string, unknown>;
  } catch {
    // first section of a run
  }
  all[section] = { measuredAt: new Date().toISOString(), ...meta, rows };
  await writeFile(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}
