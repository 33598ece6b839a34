// Benchmark (not a test): `deployer changes` over a big diff beside the `git diff --raw` it runs.
// A generated repo of N files (a few deps and infra paths among them), a second commit that
// modifies M of them (a tenth renamed), then the built CLI (`--json` and the text table) vs git's
// own time. Run: `npm run build && npx tsx bench/changes.ts [--files 100000] [--changed 10000] [--runs 5]`.
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { makeGitRepo } from '../test/support/git-repo.js';
import { arg, BIN, medianOf, report, timeCommand } from './lib/measure.js';

const FILES = arg('files', 100_000);
const CHANGED = arg('changed', 10_000);
const RUNS = arg('runs', 5);

const pathOf = (i: number) => `src/d${Math.floor(i / 500)}/m${Math.floor(i / 50) % 10}/f${i}.js`;

async function main(): Promise<void> {
  const repo = await makeGitRepo({ 'package.json': '{}\n', 'package-lock.json': '{}\n', Dockerfile: 'FROM x\n' });
  try {
    process.stderr.write(`generating ${FILES} files, ${CHANGED} changed…\n`);
    for (let i = 0; i < FILES; i++) {
      const p = join(repo.dir, pathOf(i));
      if (i % 50 === 0) await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, `// file ${i}\nexport const v = ${i};\n`);
    }
    const git = (args: string[]) => execa('git', args, { cwd: repo.dir, env: repo.env });
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'many']);
    const from = (await git(['rev-parse', 'HEAD'])).stdout;
    const step = Math.floor(FILES / CHANGED);
    const renames: string[] = [];
    for (let k = 0; k < CHANGED; k++) {
      const i = k * step;
      if (k % 10 === 9) renames.push(pathOf(i));
      else await writeFile(join(repo.dir, pathOf(i)), `// file ${i} changed\nexport const v = ${-i};\n`);
    }
    for (const p of renames) await execa('mv', [join(repo.dir, p), join(repo.dir, `${p}.moved.js`)]);
    await writeFile(join(repo.dir, 'package-lock.json'), '{"v":2}\n');
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'change']);
    const to = (await git(['rev-parse', 'HEAD'])).stdout;
    const config = join(repo.dir, '..', `changes-bench-${process.pid}.yaml`);
    await writeFile(config, `app: bench\nimages: { full: b-full, delta: b }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\n`
      + 'changes: { infra: [Dockerfile, "docker/**"], deps: [package-lock.json], ignore: ["**/*.md", "docs/**"] }\n');
    const count = (await git(['diff', '--raw', '-z', '-M', '--no-abbrev', from, to, '--'])).stdout.split('\0:').length;
    const gitMs = await medianOf(RUNS, () => timeCommand('git', ['diff', '--raw', '-z', '-M', '--no-abbrev', from, to, '--'], { cwd: repo.dir, env: repo.env }));
    const node = await medianOf(RUNS, () => timeCommand(process.execPath, ['-e', '0']));
    const json = await medianOf(RUNS, () => timeCommand(process.execPath, [BIN, '--config', config, 'changes', '--json', from, to], { cwd: repo.dir }));
    const text = await medianOf(RUNS, () => timeCommand(process.execPath, [BIN, '--config', config, 'changes', from, to], { cwd: repo.dir }));
    await rm(config, { force: true });
    await report('changes', [
      { what: `git diff --raw -M (${count} records)`, value: gitMs, unit: 'ms' },
      { what: 'node -e 0', value: node, unit: 'ms' },
      { what: 'deployer changes --json', value: json, unit: 'ms', note: `git + ${(json - gitMs).toFixed(0)} ms (target ≤ + 500 ms)` },
      { what: 'deployer changes (text)', value: text, unit: 'ms', note: `git + ${(text - gitMs).toFixed(0)} ms` },
      { what: 'deployer changes --json / git diff', value: json / gitMs, unit: 'ratio' },
    ], { files: FILES, changed: CHANGED, runs: RUNS });
  } finally {
    await repo.close();
  }
}

await main();
