import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStats, startLoad, type GroupStats } from '../../bench/switch-load-lib.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { makeWorld, startLbNginx, switchSection, type World } from '../support/switch-world.js';

// Zero downtime, bounded: constant load from 50 fresh-connection clients while `deployer switch`
// (the CLI, as Jenkins runs it) alternates between two environments; every response must be a 2xx
// from the old or the new revision. Also clients with keep-alive connections through a front nginx
// that is never reloaded (the layout offered for keep-alive clients; see bench/switch-load.ts).
// The benchmark runs the same with 20 switches and reports keep-alive losses of a plain reload.

let w: World;
let inner: Nginx;
let front: Nginx;
let A: string;
let B: string;

beforeAll(async () => {
  w = await makeWorld('it-switch-load', 2);
  [A, B] = w.revs as [string, string];
  inner = await startLbNginx();
  front = await startNginx({ httpConf: ([port]) => `  server {\n    listen 127.0.0.1:${port};\n    location / { proxy_pass http://127.0.0.1:${inner.port}; }\n  }\n` });
  await w.writeConfig('deployer.yaml', switchSection(inner, `${w.dir}/state`), { instances: 2 });
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
  const first = await w.cli(['switch', A]);
  expect(first.exitCode, first.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await front?.close();
  await inner?.close();
  await w?.close();
});

describe('switch under load', () => {
  it('serves every fresh-connection request, from the old or the new revision, across several switches', async () => {
    const load = startLoad([
      { name: 'fresh connections', url: `http://127.0.0.1:${inner.port}/`, clients: 50, keepAlive: false },
      { name: 'keep-alive via front nginx', url: `http://127.0.0.1:${front.port}/`, clients: 8, keepAlive: true },
    ], A);
    let stats: GroupStats[] = [];
    try {
      let live = A;
      for (const to of [B, A, B]) {
        load.switching(live, to);
        const r = await w.cli(['switch', to], { timeoutMs: 180_000 });
        expect(r.exitCode, r.stderr).toBe(0);
        live = to;
      }
    } finally {
      stats = await load.stop();
    }
    const [fresh, viaFront] = stats as [GroupStats, GroupStats];
    const summary = stats.map((s) => `${formatStats(s)}\n${s.examples.join('\n')}`).join('\n');
    expect(fresh.requests, summary).toBeGreaterThan(1000);
    expect({ failed: fresh.failed, misServed: fresh.misServed }, summary).toEqual({ failed: 0, misServed: 0 });
    // Both revisions were really served under load (the switches happened while requests flowed).
    expect(Object.keys(fresh.byRevision).sort(), summary).toEqual([A, B].sort());
    expect({ failed: viaFront.failed, misServed: viaFront.misServed }, summary).toEqual({ failed: 0, misServed: 0 });
  }, 600_000);
});
