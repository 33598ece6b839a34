// Benchmark (not a test): start-up cost of the CLI beside node's own, the numbers behind the lazy
// imports in src/cli/main.ts. Run: `npx tsx bench/startup.ts [--runs 15]`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeGitRepo } from '../test/support/git-repo.js';
import { arg, BIN, medianOf, report, timeCommand } from './lib/measure.js';

const RUNS = arg('runs', 15);

async function main(): Promise<void> {
  const repo = await makeGitRepo({ 'README.md': 'tiny\n', 'app.js': 'x\n' });
  const head = await repo.commit('one', { write: { 'app.js': 'y\n' } });
  const dir = await mkdtemp(join(tmpdir(), 'deployer-bench-startup-'));
  const config = join(dir, 'deployer.yaml');
  await writeFile(config, `app: tiny\nimages: { full: tiny-full, delta: tiny }\nbuild: { context: ${JSON.stringify(repo.dir)}, appDir: /app }\nstate: { dir: ${JSON.stringify(join(dir, 'state'))} }\n`
    + 'deploy: { scheduler: docker, instances: 1, port: 8000 }\n'
    + `switch: { upstream: backend, file: ${JSON.stringify(join(dir, 'backend.conf'))}, test: [/bin/true], reload: [/bin/true], verify: { url: "http://127.0.0.1:9/" } }\n`);
  await writeFile(join(dir, 'backend.conf'), 'upstream backend {\n    server 127.0.0.1:9;\n}\n');
  try {
    const node = await medianOf(RUNS, () => timeCommand(process.execPath, ['-e', '0']));
    const help = await medianOf(RUNS, () => timeCommand(process.execPath, [BIN, '--help']));
    const changes = await medianOf(RUNS, () => timeCommand(process.execPath, [BIN, '--config', config, 'changes', repo.initialSha, head]));
    const status = await medianOf(RUNS, () => timeCommand(process.execPath, [BIN, '--config', config, 'status', '--plan']));
    await report('startup', [
      { what: 'node -e 0', value: node, unit: 'ms' },
      { what: 'deployer --help', value: help, unit: 'ms', note: `node + ${(help - node).toFixed(0)} ms (target ≤ + 80 ms)` },
      { what: 'deployer changes (tiny repo)', value: changes, unit: 'ms', note: `node + ${(changes - node).toFixed(0)} ms` },
      { what: 'deployer status --plan (local nginx file, docker engine)', value: status, unit: 'ms', note: `node + ${(status - node).toFixed(0)} ms` },
    ], { runs: RUNS });
  } finally {
    await repo.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
