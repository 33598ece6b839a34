import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { makeWorld, startPreviewNginx, switchSection, type World } from '../support/switch-world.js';

// The whole flow on a Marathon "cluster" of two named agents (agent-N.marathon.test on their own loopback
// addresses, from /etc/hosts as scripts/services.sh writes it), through the CLI and a real nginx:
// deploy → the preview hostname serves it → switch → switch → rollback. Upstream and preview files hold
// the agents' host names, which nginx resolves; the switch verifies through them.

const AGENTS = [
  { hostname: 'agent-1.marathon.test', ip: '127.0.0.2' },
  { hostname: 'agent-2.marathon.test', ip: '127.0.0.3' },
];
let w: World;
let nginx: Nginx;
let marathon: MarathonStandin;
let previewPort: number;
let A: string;
let B: string;
const sha12 = (r: string) => r.slice(0, 12);
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const viaPreview = (rev: string) => httpGet(`http://127.0.0.1:${previewPort}/`, { headers: { Host: `${sha12(rev)}.preview.test` } });

beforeAll(async () => {
  w = await makeWorld('e2e-marathon-agents', 2);
  [A, B] = w.revs as [string, string];
  marathon = await startMarathonStandin({ agents: AGENTS });
  previewPort = await freePort();
  nginx = await startPreviewNginx();
  await w.writeConfig('deployer.yaml', [
    `preview: { domain: preview.test, listen: "127.0.0.1:${previewPort}" }`,
    ...switchSection(nginx, join(w.dir, 'state'), { verifyTimeoutSeconds: 15, previewFile: true }),
  ], { scheduler: 'marathon', instances: 2, deployMarathon: `{ url: ${JSON.stringify(marathon.url)}, appPrefix: /${w.app}, cpus: 0.1, mem: 32 }` });
}, 240_000);

afterAll(async () => {
  await nginx?.close();
  await marathon?.close();
  await w?.close();
});

describe('deployer on Marathon with tasks on two named agents', () => {
  it('deploy → preview → switch → switch → rollback, nginx serving the agents by name', async () => {
    for (const rev of [A, B]) {
      const r = await w.cli(['deploy', rev]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`is healthy: 2/2 instances (marathon)`);
      for (const agent of AGENTS) expect(r.stdout).toMatch(new RegExp(`${agent.hostname.replace(/\./g, '\\.')}:\\d+\\s+healthy`));
      const res = await viaPreview(rev);
      expect(res.status).toBe(200);
      expect(res.headers['x-revision']).toBe(rev);
      await w.markTested(rev);
    }
    const preview = await readFile(join(nginx.prefix, 'conf.d', 'preview.conf'), 'utf8');
    expect(preview.match(/server agent-[12]\.marathon\.test:\d+/g)).toHaveLength(4);

    const first = await w.cli(['switch', A]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(await served()).toBe(A);
    const upstream = await readFile(join(nginx.prefix, 'conf.d', 'backend.conf'), 'utf8');
    expect(upstream.match(/server agent-[12]\.marathon\.test:\d+/g)?.sort()).toEqual([
      expect.stringMatching(/^server agent-1\.marathon\.test:\d+$/),
      expect.stringMatching(/^server agent-2\.marathon\.test:\d+$/),
    ]);
    expect(upstream).not.toContain('127.0.0.');

    expect((await w.cli(['switch', B])).exitCode).toBe(0);
    expect(await served()).toBe(B);
    const back = await w.cli(['rollback', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ revision: A, previous: B, changed: true });
    expect(await served()).toBe(A);
    expect(marathon.unhandled).toEqual([]);
  }, 300_000);
});
