// Benchmark (not a test): a delta-build of a one-file change against a full-build, a warm-cache
// BuildKit build of the equivalent cache-friendly Dockerfile (`COPY . .` last), the legacy builder,
// and the bare floor (create a container, copy one file in, commit) — on a generated app of a few
// thousand files and tens of MB, pushing to a local registry. Wall time and bytes pushed, median
// of several runs. delta-build and full-build also run as users run them (the built CLI under
// /usr/bin/time) for their wall time and peak RSS. A deps change (the lockfile) is timed against
// the install command run on its own in a container of the full image.
// Run: `npm run build && npx tsx bench/build.ts [--files 20000] [--mb 200] [--runs 5]`.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { execa } from 'execa';
import { arg, BIN, median, report, type Row } from './lib/measure.js';
import * as tarStream from 'tar-stream';
import { dockerEngine } from '../src/adapters/docker/engine.js';
import { dockerImages } from '../src/adapters/docker/images.js';
import { gitAt } from '../src/adapters/git.js';
import { systemClock } from '../src/adapters/clock.js';
import { parseConfigText } from '../src/core/config/parse.js';
import { execute, type StepRecord } from '../src/exec/executor.js';
import { PUSHED_IMAGES } from '../src/exec/build-results.js';
import { handlers } from '../src/exec/handlers/index.js';
import { Results } from '../src/exec/results.js';
import { gatherDeltaFacts, planDeltaBuild } from '../src/planners/delta-build.js';
import type { Ports } from '../src/ports/index.js';
import type { PushResult } from '../src/ports/images.js';
import { silentLog } from '../src/ports/log.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { startRegistry } from '../test/support/registry.js';
import { localEngine } from '../test/support/engine.js';

const FILES = arg('files', 20_000);
const MB = arg('mb', 200);
const RUNS = arg('runs', 5);
const FULL_RUNS = arg('full-runs', 3);
/** --profile DIR: the CLI runs write V8 CPU profiles there (open them in Chrome's DevTools). */
const PROFILE = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
const BASE = 'deployer-base/busybox:latest';
// A stand-in install: some hundreds of small files, as a package manager writes.
const DEPS_INSTALL = 'mkdir -p /app/deps && cd /app/deps && for i in $(seq 1 300); do echo dep$i > dep$i.js; done';
const DOCKERFILE = `FROM ${BASE}\nWORKDIR /app\nCOPY . .\nCMD ["revision-server"]\n`;

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number) => (b < 1024 * 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1024 / 1024).toFixed(2)} MiB`);

async function generateApp(dir: string): Promise<void> {
  // Mostly source-like text, plus some incompressible assets, to reach the size.
  const binaries = Math.max(1, Math.round(FILES / 60));
  const textFiles = FILES - binaries;
  const textBytes = 2048;
  const binBytes = Math.max(1024, Math.round((MB * 1024 * 1024 - textFiles * textBytes) / binaries));
  for (let i = 0; i < textFiles; i++) {
    const d = join(dir, 'src', `mod${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(d, { recursive: true });
    await writeFile(join(d, `file${i % 100}.txt`), `// module ${i}\n${'x'.repeat(textBytes - 20)}\n`);
  }
  await mkdir(join(dir, 'assets'), { recursive: true });
  for (let i = 0; i < binaries; i++) await writeFile(join(dir, 'assets', `blob${i}.bin`), randomBytes(binBytes));
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(dir, '.dockerignore'), '.git\n');
  await writeFile(join(dir, 'deps.lock'), 'v0\n');
}

/** The built CLI under /usr/bin/time: wall ms, peak RSS (MiB) and its --json report. */
async function cli(config: string, args: string[]): Promise<{ ms: number; rssMiB: number; json: { pushed?: Record<string, PushResult> } }> {
  const t0 = performance.now();
  const r = await execa('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), BIN, '--config', config, '--json', ...args], { reject: false, env: { CI: 'true', NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`deployer ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.slice(-800)}`);
  const kb = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ms, rssMiB: kb / 1024, json: JSON.parse(r.stdout) as { pushed?: Record<string, PushResult> } };
}
const cliPushed = (j: { pushed?: Record<string, PushResult> }) => Object.values(j.pushed ?? {}).reduce((n, p) => n + p.bytesPushed, 0);

async function main() {
  const docker = new Docker();
  const api = localEngine();
  const reg = await startRegistry();
  let repo: Awaited<ReturnType<typeof makeGitRepo>> | undefined;
  const id = `b${process.pid}`;
  const repos = [`${reg.host}/bench/${id}-full`, `${reg.host}/bench/${id}`, `${reg.host}/bench/${id}-buildkit`, `${reg.host}/bench/${id}-legacy`, `bench/${id}-floor`];
  try {
    process.stderr.write(`generating ${FILES} files / ${MB} MB…\n`);
    const r = (repo = await makeGitRepo({}));
    await generateApp(r.dir);
    await r.commit('app');
    const configText = `
app: bench
registry: { host: "${reg.host}" }
images: { full: bench/${id}-full, delta: bench/${id} }
build: { context: ${r.dir}, appDir: /app }
changes: { infra: [Dockerfile, .dockerignore], deps: [deps.lock], depsDir: /app/deps, depsInstall: "${DEPS_INSTALL}" }
`;
    const config = parseConfigText(configText, 'bench.yaml');
    const configFile = join(r.dir, '..', `bench-build-${id}.yaml`);
    await writeFile(configFile, configText);
    const ports = {
      git: gitAt(r.dir),
      docker: dockerEngine(api),
      images: dockerImages(api, { registry: reg.host, credentials: async () => undefined }),
      clock: systemClock,
      log: silentLog,
    } as unknown as Ports;
    const signal = new AbortController().signal;
    const pushedBytes = (results: Results) => results.entries(PUSHED_IMAGES).reduce((n, [, v]) => n + v.bytesPushed, 0);
    const stepMs = (records: StepRecord[], kinds: string[]) => records.filter((r) => kinds.includes(r.kind)).reduce((n, r) => n + r.ms, 0);

    // full-build (each run a fresh commit, so nothing is skipped; the engine's build cache is used
    // as a plain `docker build` would).
    const full = { wall: [] as number[], bytes: [] as number[], rss: [] as number[] };
    for (let i = 0; i < FULL_RUNS; i++) {
      if (i > 0) await r.commit(`full ${i}`, { write: { [`src/mod1/file${i}.txt`]: `full ${i}\n` } });
      const c = await cli(configFile, ['full-build']);
      full.wall.push(c.ms);
      full.bytes.push(cliPushed(c.json));
      full.rss.push(c.rssMiB);
      process.stderr.write(`full-build ${i + 1}/${FULL_RUNS}: ${sec(c.ms)}, pushed ${mib(full.bytes.at(-1)!)}, peak RSS ${c.rssMiB.toFixed(0)} MiB\n`);
    }

    // delta-build of a one-file change (always on the newest full image).
    const delta = { wall: [] as number[], bytes: [] as number[], build: [] as number[], push: [] as number[], plan: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      await r.commit(`one-file change ${i}`, { write: { 'src/mod0/file0.txt': `// changed ${i} ${Date.now()}\n` } });
      const t0 = performance.now();
      const facts = await gatherDeltaFacts(config, ports, 'HEAD');
      const { plan } = planDeltaBuild(config, facts, { onInfra: 'fail', force: false });
      const t1 = performance.now();
      const results = new Results();
      const records = await execute(plan, handlers, { config, ports, signal, results });
      delta.wall.push(performance.now() - t0);
      delta.plan.push(t1 - t0);
      delta.build.push(stepMs(records, ['build.container', 'build.copy', 'build.delete', 'build.commit']));
      delta.push.push(stepMs(records, ['build.push']));
      delta.bytes.push(pushedBytes(results));
      process.stderr.write(`delta-build ${i + 1}/${RUNS}: ${sec(delta.wall.at(-1)!)} (facts+plan ${sec(t1 - t0)}, container+copy+commit ${sec(delta.build.at(-1)!)}, push ${sec(delta.push.at(-1)!)}), pushed ${mib(delta.bytes.at(-1)!)}\n`);
    }

    // The same, as users run it: the built CLI (start-up included), with its peak RSS.
    const deltaCli = { wall: [] as number[], bytes: [] as number[], rss: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      await r.commit(`one-file change cli ${i}`, { write: { 'src/mod0/file0.txt': `// cli ${i} ${Date.now()}\n` } });
      const c = await cli(configFile, ['delta-build', '--on-infra', 'fail']);
      deltaCli.wall.push(c.ms);
      deltaCli.bytes.push(cliPushed(c.json));
      deltaCli.rss.push(c.rssMiB);
      process.stderr.write(`deployer delta-build ${i + 1}/${RUNS}: ${sec(c.ms)}, pushed ${mib(deltaCli.bytes.at(-1)!)}, peak RSS ${c.rssMiB.toFixed(0)} MiB\n`);
    }

    // A deps change: delta-build (remove depsDir, run depsInstall, commit, push) against the install
    // command alone in a container of the full image.
    const deps = { delta: [] as number[], install: [] as number[] };
    const fullImage = `${reg.host}/bench/${id}-full:latest`;
    for (let i = 0; i < RUNS; i++) {
      await r.commit(`deps change ${i}`, { write: { 'deps.lock': `v${i + 1}\n` } });
      deps.delta.push((await cli(configFile, ['delta-build', '--on-infra', 'fail'])).ms);
      const t0 = performance.now();
      await execa('/usr/bin/docker', ['run', '--rm', fullImage, 'sh', '-c', DEPS_INSTALL]);
      deps.install.push(performance.now() - t0);
      process.stderr.write(`deps change ${i + 1}/${RUNS}: delta-build ${sec(deps.delta.at(-1)!)}, install alone ${sec(deps.install.at(-1)!)}\n`);
    }

    // docker build of the same Dockerfile from the work tree, warm cache, one file changed per run.
    const builder = async (kind: 'buildkit' | 'legacy', runs: number) => {
      const ref = (n: number) => `${reg.host}/bench/${id}-${kind}:${n}`;
      const env = { ...process.env, DOCKER_BUILDKIT: kind === 'buildkit' ? '1' : '0' };
      await execa('/usr/bin/docker', ['build', '-q', '-t', ref(0), r.dir], { env });
      await ports.images.push(ref(0), { signal });
      const res = { wall: [] as number[], bytes: [] as number[], build: [] as number[] };
      for (let i = 1; i <= runs; i++) {
        await appendFile(join(r.dir, 'src/mod0/file0.txt'), `// ${kind} ${i}\n`);
        const t0 = performance.now();
        await execa('/usr/bin/docker', ['build', '-q', '-t', ref(i), r.dir], { env });
        const t1 = performance.now();
        const pushed = await ports.images.push(ref(i), { signal });
        res.wall.push(performance.now() - t0);
        res.build.push(t1 - t0);
        res.bytes.push(pushed.bytesPushed);
        process.stderr.write(`${kind} ${i}/${runs}: ${sec(res.wall.at(-1)!)} (build ${sec(t1 - t0)}), pushed ${mib(pushed.bytesPushed)}\n`);
      }
      await execa('git', ['-C', r.dir, 'checkout', '--', '.']);
      return res;
    };
    const buildkit = await builder('buildkit', RUNS);
    const legacy = await builder('legacy', Math.min(RUNS, 3));

    // The floor: create a container of the full image, put one file, commit. No git, no push.
    const floor: number[] = [];
    const fullLatest = `${reg.host}/bench/${id}-full:latest`;
    for (let i = 0; i < RUNS; i++) {
      const pack = tarStream.pack();
      pack.entry({ name: 'src/mod0/file0.txt', mode: 0o644 }, `floor ${i}\n`);
      pack.finalize();
      const t0 = performance.now();
      const c = await docker.createContainer({ Image: fullLatest, Cmd: ['sleep', '1'] });
      await c.putArchive(Readable.from(pack) as unknown as NodeJS.ReadableStream, { path: '/app' });
      await c.commit({ repo: `bench/${id}-floor`, tag: String(i) });
      floor.push(performance.now() - t0);
      await c.remove({ force: true });
    }

    const M = median;
    const rows: Row[] = [
      { what: 'full-build (CLI: build + push :sha, :latest)', value: M(full.wall), unit: 'ms', note: `pushed ${mib(M(full.bytes))}, peak RSS ${M(full.rss).toFixed(0)} MiB` },
      { what: 'delta-build one file (CLI, start-up included)', value: M(deltaCli.wall), unit: 'ms', note: `pushed ${mib(M(deltaCli.bytes))}` },
      { what: '  delta-build peak RSS', value: M(deltaCli.rss), unit: 'MiB', note: 'target ≤ 100 MiB' },
      { what: '  in-process: facts + plan + steps', value: M(delta.wall), unit: 'ms', note: `pushed ${mib(M(delta.bytes))}` },
      { what: '    of which facts + plan (git, registry lookups)', value: M(delta.plan), unit: 'ms' },
      { what: '    of which container + copy + commit', value: M(delta.build), unit: 'ms' },
      { what: '    of which push', value: M(delta.push), unit: 'ms' },
      { what: 'BuildKit warm rebuild + push (COPY . . last)', value: M(buildkit.wall), unit: 'ms', note: `pushed ${mib(M(buildkit.bytes))}` },
      { what: '  of which docker build', value: M(buildkit.build), unit: 'ms' },
      { what: 'legacy builder warm rebuild + push', value: M(legacy.wall), unit: 'ms', note: `pushed ${mib(M(legacy.bytes))}` },
      { what: 'bare floor: create + put one file + commit', value: M(floor), unit: 'ms' },
      { what: 'delta-build (CLI) / BuildKit wall', value: M(deltaCli.wall) / M(buildkit.wall), unit: 'ratio', note: 'target ≤ 0.10×' },
      { what: 'delta-build / BuildKit bytes pushed', value: M(deltaCli.bytes) / M(buildkit.bytes), unit: 'ratio', note: `${((100 * M(deltaCli.bytes)) / M(buildkit.bytes)).toFixed(3)} % (target ≤ 1 %)` },
      { what: 'delta-build / full-build wall', value: M(deltaCli.wall) / M(full.wall), unit: 'ratio' },
      { what: 'deps change: delta-build (CLI)', value: M(deps.delta), unit: 'ms' },
      { what: 'deps change: install command alone (docker run)', value: M(deps.install), unit: 'ms' },
      { what: 'deps change: delta-build / install alone', value: M(deps.delta) / M(deps.install), unit: 'ratio' },
    ];
    console.log(`\napp: ${FILES} files, ${MB} MB; medians of ${RUNS} runs (${FULL_RUNS} full builds, ${Math.min(RUNS, 3)} legacy); registry on loopback`);
    await report('build', rows, { files: FILES, mb: MB, runs: RUNS, fullRuns: FULL_RUNS });
  } finally {
    for (const r of repos) {
      const tags = (await execa('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${r}`])).stdout.split('\n').filter(Boolean);
      if (tags.length) await execa('docker', ['rmi', '-f', ...tags], { reject: false });
    }
    await execa('docker', ['image', 'prune', '-f', '--filter', 'dangling=true', '--filter', `label=deployer.app=bench`], { reject: false });
    await reg.close();
    await rm(join(repo?.dir ?? '/nonexistent', '..', `bench-build-${id}.yaml`), { force: true });
    await repo?.close();
  }
}

await main();
