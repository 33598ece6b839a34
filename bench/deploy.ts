// Benchmark (not a test): `deployer deploy` of 1 vs 10 instances through the built CLI (as users
// run it: `npm run build` first), on the docker scheduler and on swarm (the engine enters swarm
// mode through test/support/swarm.ts, which leaves it as it found it). Each run deploys, then
// destroys the environment (untimed). Beside it, the engine's own floor through its API: create
// and start N containers at once and wait for each to answer HTTP (10 ms polls), 1 vs N — and
// the same without a published port or any network, to show where the engine's time goes.
// Run: `npm run build && npx tsx bench/deploy.ts [--runs 5] [--instances 10] [--no-swarm]`.
import { useSwarm } from '../test/support/swarm.js';
import { makeWorld } from '../test/support/switch-world.js';
import { arg, BIN, median, report, type Row } from './lib/measure.js';
import { dockerEngine } from '../src/adapters/docker/engine.js';
import { probeHttp } from '../src/adapters/scheduler/health.js';
import { localEngine } from '../test/support/engine.js';
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
        const d = await execa(process.execPath, [BIN, '--config', join(world.dir, config), 'deploy', rev, ...(SHOW ? ['-v'] : [])], {
          cwd: world.dir, reject: false, env: { CI: 'true', NO_COLOR: '1' },
        });
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
    // The engine's own floor, through its API (what the docker scheduler asks of it, without the
    // CLI's start-up): create and start, then poll until the app answers.
    const engine = dockerEngine(localEngine());
    const image = `${world.delta}:${rev}`;
    const floor = async (n: number, tag: string, network: 'published' | 'none'): Promise<number> => {
      const t0 = performance.now();
      const ids = await Promise.all(Array.from({ length: n }, async (_, i) => {
        const id = await engine.createContainer({
          image, name: `${world.app}-floor-${tag}-${i}`, labels: { 'deployer.app': world.app },
          ...(network === 'published' ? { publish: [{ containerPort: 8000, hostIp: '127.0.0.1', hostPort: 0 }] } : { network: 'none', cmd: ['sleep', '60'] }),
        });
        await engine.startContainer(id);
        if (network === 'published') {
          const port = (await engine.inspectContainer(id))!.ports[0]!.hostPort;
          while (!(await probeHttp('127.0.0.1', port, '/', 1000)).ok) await new Promise((r) => setTimeout(r, 10));
        }
        return id;
      }));
      const ms = performance.now() - t0;
      await Promise.all(ids.map((id) => engine.removeContainer(id)));
      return ms;
    };
    for (const network of ['published', 'none'] as const) {
      const one: number[] = [];
      const many: number[] = [];
      await floor(1, `w-${network}`, network);
      for (let i = 0; i < Math.max(1, RUNS); i++) {
        one.push(await floor(1, `a${i}-${network}`, network));
        many.push(await floor(MANY, `b${i}-${network}`, network));
      }
      const what = network === 'published' ? 'create, start, answers HTTP' : 'create, start, no network';
      rows.push(
        { what: `engine floor (${what}): 1 container`, value: median(one), unit: 'ms' },
        { what: `engine floor (${what}): ${MANY} at once`, value: median(many), unit: 'ms' },
        { what: `engine floor (${what}): ${MANY} / 1`, value: median(many) / median(one), unit: 'ratio' },
      );
    }
    await report('deploy', rows, { runs: RUNS, instances: MANY });
  } finally {
    // The world removes its swarm services, so it closes while the engine is still a swarm.
    await world.close().finally(() => leaveSwarm?.());
  }
}

await main();
