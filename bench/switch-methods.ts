// Benchmark (not a test): switch.method reload vs dynamic, side by side in one run. Two
// environments on the docker scheduler; one nginx switched by reloads, one (with the Lua module)
// switched through its control socket; the same three client kinds on each while N alternating
// switches run through the built CLI (process start → verified):
// - fresh: a new connection per request;
// - keep-alive, no retry: one connection per client, one request in flight, no think time;
// - keep-alive, idle gaps: one connection, 50 requests then 200 ms idle (when a reload closes it).
// Prints failed and mis-served requests, p50/p99 latency while switching vs quiet, nginx worker
// pids before and after, and switch wall times; adds a section to bench/results.json.
//
// Run: `npm run build && npx tsx bench/switch-methods.ts [--switches 20] [--fresh 20] [--keepalive 10] [--pause-ms 500] [--quiet 11]`
import { join } from 'node:path';
import { startLuaLbNginx } from '../test/support/lua-nginx.js';
import { makeWorld, startLbNginx, switchSection } from '../test/support/switch-world.js';
import { arg, BIN, median, report, timeCommand } from './lib/measure.js';
import { formatStats, startLoad, type GroupStats } from './switch-load-lib.js';

const SWITCHES = arg('switches', 20);
const FRESH = arg('fresh', 20);
const KEEPALIVE = arg('keepalive', 10);
const PAUSE_MS = arg('pause-ms', 500);
const QUIET = arg('quiet', 11);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

async function main() {
  const world = await makeWorld('bench-methods', 2);
  const lbs = { reload: await startLbNginx(), dynamic: await startLuaLbNginx() };
  const rows: Parameters<typeof report>[1] = [];
  try {
    const [A, B] = world.revs as [string, string];
    for (const method of ['reload', 'dynamic'] as const) {
      await world.writeConfig(`${method}.yaml`, [...switchSection(lbs[method], join(world.dir, `state-${method}`)), `  method: ${method}`], { instances: 2 });
    }
    for (const r of [A, B]) {
      const d = await world.cli(['deploy', r], { config: 'reload.yaml' });
      if (d.exitCode !== 0) throw new Error(`deploy ${r} failed:\n${d.stderr}`);
      await world.markTested(r);
    }
    const cli = (method: string, rev: string) => timeCommand(BIN, ['--config', join(world.dir, `${method}.yaml`), 'switch', rev], { cwd: world.dir });
    for (const method of ['reload', 'dynamic'] as const) await cli(method, A);

    // The wall time of a switch with no client load: the target (process start → verified).
    const quiet: Record<string, number[]> = { reload: [], dynamic: [] };
    for (const method of ['reload', 'dynamic'] as const) {
      let at = A;
      for (let i = 0; i < QUIET; i++) {
        at = at === A ? B : A;
        quiet[method]!.push(await cli(method, at));
      }
      if (at !== A) await cli(method, A);
      rows.push({ what: `${method}: switch wall, no load (process start → verified)`, value: median(quiet[method]!), unit: 'ms', note: `median of ${QUIET}, max ${Math.max(...quiet[method]!).toFixed(0)}` });
    }
    console.log(`switch wall with no load, median of ${QUIET}: reload ${median(quiet.reload!).toFixed(0)} ms, dynamic ${median(quiet.dynamic!).toFixed(0)} ms`);

    console.log(`${SWITCHES} alternating switches per method; on each nginx: ${FRESH} fresh, ${KEEPALIVE} keep-alive, ${KEEPALIVE} keep-alive with idle gaps`);
    for (const method of ['reload', 'dynamic'] as const) {
      const lb = lbs[method];
      const url = `http://127.0.0.1:${lb.port}/`;
      const load = startLoad([
        { name: 'fresh connections', url, clients: FRESH, keepAlive: false },
        { name: 'keep-alive, no retry', url, clients: KEEPALIVE, keepAlive: true },
        { name: 'keep-alive, idle gaps', url, clients: KEEPALIVE, keepAlive: true, burst: 50, idleMs: 200 },
      ], A);
      const workers = lb.workerPids().sort();
      await sleep(PAUSE_MS);
      const walls: number[] = [];
      let live = A;
      for (let i = 0; i < SWITCHES; i++) {
        const to = live === A ? B : A;
        load.switching(live, to);
        walls.push(await cli(method, to));
        load.settled();
        live = to;
        await sleep(PAUSE_MS);
      }
      const stats: GroupStats[] = await load.stop();
      const after = lb.workerPids().sort();
      console.log(`\nswitch.method ${method}: switch wall median ${median(walls).toFixed(0)} ms (max ${Math.max(...walls).toFixed(0)}); worker pids ${JSON.stringify(workers)} -> ${JSON.stringify(after)}${JSON.stringify(workers) === JSON.stringify(after) ? ' (unchanged)' : ''}`);
      for (const s of stats) {
        console.log(`  ${formatStats(s)}`);
        console.log(`    latency p50/p99: quiet ${pct(s.latency.quiet, 50).toFixed(1)}/${pct(s.latency.quiet, 99).toFixed(1)} ms, switching ${pct(s.latency.switching, 50).toFixed(1)}/${pct(s.latency.switching, 99).toFixed(1)} ms`);
        for (const e of s.examples) console.log(`    e.g. ${e}`);
        rows.push({ what: `${method}: ${s.name} failed + mis-served`, value: s.failed + s.misServed, unit: 'count', note: `of ${s.requests}` });
      }
      rows.push({ what: `${method}: switch wall (process start → verified)`, value: median(walls), unit: 'ms' });
      rows.push({ what: `${method}: nginx workers replaced`, value: workers.filter((p) => !after.includes(p)).length, unit: 'count' });
    }
    await report('switch methods', rows);
  } finally {
    await lbs.reload.close();
    await lbs.dynamic.close();
    await world.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
