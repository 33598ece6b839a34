// Benchmark (not a test): a delta-build of a one-file change against a full-build, a warm-cache
// BuildKit build of the equivalent cache-friendly Dockerfile (`COPY . .` last), the legacy builder,
// and the bare floor (create a container, copy one file in, commit) — on a generated app of a few
// thousand files and tens of MB, pushing to a local registry. Wall time and bytes pushed, median
// of several runs. Run: `npx tsx bench/build.ts [--files 6000] [--mb 60] [--runs 5]`.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { execa } from 'execa';
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
import { gatherFullBuildFacts, planFullBuild } from '../src/planners/full-build.js';
import type { Ports } from '../src/ports/index.js';
import { silentLog } from '../src/ports/log.js';
import { makeGitRepo } from '../test/support/git-repo.js';
import { startRegistry } from '../test/support/registry.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FILES = arg('files', 6000);
const MB = arg('mb', 60);
const RUNS = arg('runs', 5);
const FULL_RUNS = arg('full-runs', 3);
const BASE = 'deployer-base/busybox:latest';
const DOCKERFILE = `FROM ${BASE}\nWORKDIR /app\nCOPY . .\nCMD ["revision-server"]\n`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
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
}

async function main() {
  const docker = new Docker();
  const reg = await startRegistry();
  let repo: Awaited<ReturnType<typeof makeGitRepo>> | undefined;
  const id = `b${process.pid}`;
  const repos = [`${reg.host}/bench/${id}-full`, `${reg.host}/bench/${id}`, `${reg.host}/bench/${id}-buildkit`, `${reg.host}/bench/${id}-legacy`, `bench/${id}-floor`];
  try {
    process.stderr.write(`generating ${FILES} files / ${MB} MB…\n`);
    const r = (repo = await makeGitRepo({}));
    await generateApp(r.dir);
    await r.commit('app');
    const config = parseConfigText(`
app: bench
registry: { host: "${reg.host}" }
images: { full: bench/${id}-full, delta: bench/${id} }
build: { context: ${r.dir}, appDir: /app }
changes: { infra: [Dockerfile, .dockerignore] }
`, 'bench.yaml');
    const ports = {
      git: gitAt(r.dir),
      docker: dockerEngine(docker),
      images: dockerImages(docker, { registry: reg.host, credentials: async () => undefined }),
      clock: systemClock,
      log: silentLog,
    } as unknown as Ports;
    const signal = new AbortController().signal;
    const pushedBytes = (results: Results) => results.entries(PUSHED_IMAGES).reduce((n, [, v]) => n + v.bytesPushed, 0);
    const stepMs = (records: StepRecord[], kinds: string[]) => records.filter((r) => kinds.includes(r.kind)).reduce((n, r) => n + r.ms, 0);

    // full-build (each run a fresh commit, so nothing is skipped; the engine's build cache is used
    // as a plain `docker build` would).
    const full = { wall: [] as number[], bytes: [] as number[] };
    for (let i = 0; i < FULL_RUNS; i++) {
      if (i > 0) await r.commit(`full ${i}`, { write: { [`src/mod1/file${i}.txt`]: `full ${i}\n` } });
      const t0 = performance.now();
      const facts = await gatherFullBuildFacts(config, ports, 'HEAD', { checkWorkTree: false });
      const results = new Results();
      await execute(planFullBuild(config, facts, { allowDirty: false }).plan, handlers, { config, ports, signal, results });
      full.wall.push(performance.now() - t0);
      full.bytes.push(pushedBytes(results));
      process.stderr.write(`full-build ${i + 1}/${FULL_RUNS}: ${sec(full.wall.at(-1)!)}, pushed ${mib(full.bytes.at(-1)!)}\n`);
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

    const rows: [string, number, number | undefined][] = [
      ['full-build (build + push :sha, :latest)', median(full.wall), median(full.bytes)],
      ['delta-build one file (facts, plan, container, copy, commit, push)', median(delta.wall), median(delta.bytes)],
      ['  of which facts + plan (git, registry lookups)', median(delta.plan), undefined],
      ['  of which container + copy + commit', median(delta.build), undefined],
      ['  of which push', median(delta.push), undefined],
      ['BuildKit warm rebuild + push (COPY . . last)', median(buildkit.wall), median(buildkit.bytes)],
      ['  of which docker build', median(buildkit.build), undefined],
      ['legacy builder warm rebuild + push', median(legacy.wall), median(legacy.bytes)],
      ['  of which docker build', median(legacy.build), undefined],
      ['bare floor: create + put one file + commit', median(floor), undefined],
    ];
    console.log(`\napp: ${FILES} files, ${MB} MB; medians of ${RUNS} runs (${FULL_RUNS} full builds, ${Math.min(RUNS, 3)} legacy); registry on loopback`);
    for (const [what, ms, bytes] of rows) console.log(`${what.padEnd(68)} ${sec(ms).padStart(9)}${bytes !== undefined ? `   pushed ${mib(bytes).padStart(10)}` : ''}`);
  } finally {
    for (const r of repos) {
      const tags = (await execa('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${r}`])).stdout.split('\n').filter(Boolean);
      if (tags.length) await execa('docker', ['rmi', '-f', ...tags], { reject: false });
    }
    await execa('docker', ['image', 'prune', '-f', '--filter', 'dangling=true', '--filter', `label=deployer.app=bench`], { reject: false });
    await reg.close();
    await repo?.close();
  }
}

await main();
