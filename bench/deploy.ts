// Benchmark (not a test): `deployer deploy` of 1 vs 10 instances through the built CLI, on the
// docker scheduler and on swarm (the engine enters swarm mode through test/support/swarm.ts, which
// leaves it as it found it). Each run deploys, then destroys the environment (untimed).
// Run: `npx tsx bench/deploy.ts [--runs 5] [--instances 10] [--no-swarm]`.
import { useSwarm } from '../test/support/swarm.js';
import { makeWorld } from '../test/support/switch-world.js';
import { arg, median, report, type Row } from './lib/measure.js';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const RUNS = arg('runs', 5);
const MANY = arg('instances', 10);
const SHOW = process.argv.includes('--show');
const SWARM = !process.argv.includes('--no-swarm');

async function main(): Promise<void> {
  const world = await makeWorld('bench-deploy', 1);
  const rows: Row[] = [];
  const leaveSwarm = SWARM ? await useSwarm() : undefined;
  try {
    const [rev] = world.revs as [string];
    for (const scheduler of SWARM ? (['docker', 'swarm'] as const) : (['docker'] as const)) {
      for (const n of [1, MANY]) await world.writeConfig(`${scheduler}-${n}.yaml`, [], { instances: n, scheduler });
      const once = async (n: number): Promise<number> => {
        const config = `${scheduler}-${n}.yaml`;
        const t0 = performance.now();
        const d = await world.cli(['deploy', rev, ...(SHOW ? ['-v'] : [])], { config });
        const ms = performance.now() - t0;
        if (SHOW) process.stderr.write(`--- ${scheduler} ${n}: ${ms.toFixed(0)} ms\n${d.stderr}\n${await readFile(join(world.dir, '.deployer', 'events.jsonl'), 'utf8').catch(() => '')}`);
        if (d.exitCode !== 0) throw new Error(`deploy (${scheduler}, ${n}) exited ${d.exitCode}: ${d.stderr}`);
        const x = await world.cli(['destroy', rev], { config });
        if (x.exitCode !== 0) throw new Error(`destroy (${scheduler}, ${n}) exited ${x.exitCode}: ${x.stderr}`);
        return ms;
      };
      // Interleaved, so a busy moment on the shared machine hits both sides alike.
      await once(1);
      await once(MANY);
      const one: number[] = [];
      const many: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        one.push(await once(1));
        many.push(await once(MANY));
      }
      rows.push(
        { what: `${scheduler}: deploy 1 instance`, value: median(one), unit: 'ms' },
        { what: `${scheduler}: deploy ${MANY} instances`, value: median(many), unit: 'ms' },
        { what: `${scheduler}: ${MANY} / 1`, value: median(many) / median(one), unit: 'ratio', note: 'target ≤ 1.5×' },
      );
    }
    // The engine's own floor: `docker run -d` with a published port, 1 vs MANY at once (what the
    // docker scheduler asks of the engine, without health checks or the CLI's start-up).
    const image = `${world.delta}:${rev}`;
    const runMany = async (n: number, tag: string): Promise<number> => {
      const names = Array.from({ length: n }, (_, i) => `${world.app}-floor-${tag}-${i}`);
      const t0 = performance.now();
      await Promise.all(names.map((name) => execa('/usr/bin/docker', ['run', '-d', '--name', name, '--label', `deployer.app=${world.app}`, '-p', '127.0.0.1::8000', image])));
      const ms = performance.now() - t0;
      await execa('/usr/bin/docker', ['rm', '-f', ...names]);
      return ms;
    };
    const floorOne: number[] = [];
    const floorMany: number[] = [];
    for (let i = 0; i < Math.max(1, RUNS); i++) {
      floorOne.push(await runMany(1, `a${i}`));
      floorMany.push(await runMany(MANY, `b${i}`));
    }
    rows.push(
      { what: 'engine floor: docker run -d -p, 1 container', value: median(floorOne), unit: 'ms' },
      { what: `engine floor: docker run -d -p, ${MANY} at once`, value: median(floorMany), unit: 'ms' },
      { what: `engine floor: ${MANY} / 1`, value: median(floorMany) / median(floorOne), unit: 'ratio' },
    );
    await report('deploy', rows, { runs: RUNS, instances: MANY });
  } finally {
    // The world removes its swarm services, so it closes while the engine is still a swarm.
    await world.close().finally(() => leaveSwarm?.());
  }
}

await main();
