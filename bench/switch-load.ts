// Benchmark (not a test): zero-downtime switching under load. Two environments on the docker
// scheduler, a real nginx whose upstream file `deployer switch` rewrites (through the CLI, as
// Jenkins runs it), constant load from fresh-connection and keep-alive clients, and N alternating
// switches. Prints per-client-group results and switch times.
//
// Also measures the two-tier layout offered for keep-alive clients: a front nginx that is never
// reloaded holds the clients' keep-alive connections and proxies to the switched nginx over a fresh
// loopback connection per request (nginx's default proxy_http_version 1.0, no upstream keepalive).
//
// Run: `npx tsx bench/switch-load.ts [--switches 20] [--fresh 50] [--keepalive 10] [--instances 2] [--pause-ms 1000]
//      [--inner-http 'lingering_close always;']`
import { performance } from 'node:perf_hooks';
import { startNginx } from '../test/support/nginx.js';
import { makeWorld, startLbNginx, switchSection } from '../test/support/switch-world.js';
import { formatStats, startLoad } from './switch-load-lib.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const SWITCHES = arg('switches', 20);
const FRESH = arg('fresh', 50);
const KEEPALIVE = arg('keepalive', 10);
const INSTANCES = arg('instances', 2);
const PAUSE_MS = arg('pause-ms', 1000);
/** Extra directives inside http{} of the switched nginx, to measure keep-alive settings. */
const INNER_HTTP = (() => {
  const i = process.argv.indexOf('--inner-http');
  return i >= 0 ? process.argv[i + 1]! : '';
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const world = await makeWorld('bench-switch', 2);
  const inner = await startLbNginx(INNER_HTTP ? `  ${INNER_HTTP}\n` : '');
  const front = await startNginx({
    httpConf: ([port]) => `  server {\n    listen 127.0.0.1:${port};\n    location / { proxy_pass http://127.0.0.1:${inner.port}; }\n  }\n`,
  });
  try {
    const [A, B] = world.revs as [string, string];
    await world.writeConfig('deployer.yaml', switchSection(inner, `${world.dir}/state`), { instances: INSTANCES });
    for (const r of [A, B]) {
      const d = await world.cli(['deploy', r]);
      if (d.exitCode !== 0) throw new Error(`deploy ${r} failed:\n${d.stderr}`);
      await world.markTested(r);
    }
    const first = await world.cli(['switch', A]);
    if (first.exitCode !== 0) throw new Error(`first switch failed:\n${first.stderr}`);

    if (INNER_HTTP) console.log(`switched nginx http{} extra: ${INNER_HTTP}`);
    console.log(`load: ${FRESH} fresh-connection clients and ${KEEPALIVE} keep-alive clients on the switched nginx, ${KEEPALIVE} keep-alive clients through a front nginx; ${SWITCHES} alternating switches, ${INSTANCES} instances per environment`);
    const load = startLoad([
      { name: 'fresh connections', url: `http://127.0.0.1:${inner.port}/`, clients: FRESH, keepAlive: false },
      { name: 'keep-alive, no retry', url: `http://127.0.0.1:${inner.port}/`, clients: KEEPALIVE, keepAlive: true },
      { name: 'keep-alive via front nginx', url: `http://127.0.0.1:${front.port}/`, clients: KEEPALIVE, keepAlive: true },
    ], A);
    const t0 = performance.now();
    await sleep(PAUSE_MS);
    const durations: number[] = [];
    let live = A;
    for (let i = 0; i < SWITCHES; i++) {
      const to = live === A ? B : A;
      load.switching(live, to);
      const s0 = performance.now();
      const r = await world.cli(['switch', to]);
      durations.push(performance.now() - s0);
      if (r.exitCode !== 0) throw new Error(`switch ${i + 1} to ${to} failed (exit ${r.exitCode}):\n${r.stderr}`);
      live = to;
      await sleep(PAUSE_MS);
    }
    const stats = await load.stop();
    const seconds = (performance.now() - t0) / 1000;
    const total = stats.reduce((n, s) => n + s.requests, 0);
    console.log(`\n${total} requests in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} req/s), ${SWITCHES} switches`);
    for (const s of stats) {
      console.log(formatStats(s));
      for (const e of s.examples) console.log(`    e.g. ${e}`);
    }
    const ka = stats.find((s) => s.name === 'keep-alive, no retry')!;
    console.log(`\nkeep-alive clients without retry lost ${ka.failed} requests over ${SWITCHES} reloads (${(ka.failed / SWITCHES).toFixed(2)} per reload)`);
    durations.sort((a, b) => a - b);
    console.log(`switch (CLI, wall): median ${(durations[Math.floor(durations.length / 2)]! / 1000).toFixed(2)} s, max ${(durations.at(-1)! / 1000).toFixed(2)} s`);
  } finally {
    await front.close();
    await inner.close();
    await world.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
