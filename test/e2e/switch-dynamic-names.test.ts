import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../support/http.js';
import { startLuaLbNginx } from '../support/lua-nginx.js';
import type { Nginx } from '../support/nginx.js';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { makeWorld, switchSection, type World } from '../support/switch-world.js';

// switch.method dynamic on a Marathon "cluster" of named agents (agent-N.marathon.test on their own
// loopback addresses, from /etc/hosts as scripts/services.sh writes it): the load balancer resolves
// the names itself, the file's server lines keep them, the Lua list carries the addresses, and a
// switch between environments reloads nothing. A second stand-in reports its task on an agent whose
// name no load balancer can resolve: that switch is refused before anything changes.

const AGENTS = [
  { hostname: 'agent-1.marathon.test', ip: '127.0.0.2' },
  { hostname: 'agent-2.marathon.test', ip: '127.0.0.3' },
];
const NOWHERE = 'agent-9.unresolvable.test';
let w: World;
let nginx: Nginx;
let marathon: MarathonStandin;
let nowhere: MarathonStandin;
let A: string;
let B: string;
let C: string;
const sha12 = (r: string) => r.slice(0, 12);
const upstreamFile = () => join(nginx.prefix, 'conf.d', 'backend.conf');
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const marathonSettings = (m: MarathonStandin, prefix: string) => `{ url: ${JSON.stringify(m.url)}, appPrefix: ${prefix}, cpus: 0.1, mem: 32 }`;

beforeAll(async () => {
  w = await makeWorld('e2e-dyn-names', 3);
  [A, B, C] = w.revs as [string, string, string];
  marathon = await startMarathonStandin({ agents: AGENTS });
  nowhere = await startMarathonStandin({ agents: [{ hostname: NOWHERE, ip: '127.0.0.1' }] });
  nginx = await startLuaLbNginx();
  const section = [...switchSection(nginx, join(w.dir, 'state'), { verifyTimeoutSeconds: 15 }), '  method: dynamic'];
  await w.writeConfig('deployer.yaml', section, { scheduler: 'marathon', instances: 2, deployMarathon: marathonSettings(marathon, `/${w.app}`) });
  await w.writeConfig('nowhere.yaml', section, { scheduler: 'marathon', instances: 1, deployMarathon: marathonSettings(nowhere, `/${w.app}-nowhere`) });
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
  const d = await w.cli(['deploy', C], { config: 'nowhere.yaml' });
  expect(d.exitCode, d.stderr).toBe(0);
  expect(d.stdout).toContain(NOWHERE);
  await w.markTested(C);
}, 300_000);

afterAll(async () => {
  await nginx?.close();
  await marathon?.close();
  await nowhere?.close();
  await w?.close();
});

describe('switch.method dynamic with backends on named Marathon agents', () => {
  it('the first switch resolves the names on the load balancer, keeps them in the server lines, and reloads once', async () => {
    const plan = await w.cli(['switch', A, '--plan']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    for (const a of AGENTS) expect(plan.stdout).toContain(`resolve: ${a.hostname} -> ${a.ip}  (getent ahosts on local;`);
    expect(plan.stdout).toContain('nginx is reloaded once to load the dynamic balancer');
    const json = await w.cli(['switch', A, '--plan', '--json']);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify({ [AGENTS[0]!.hostname]: { addresses: [AGENTS[0]!.ip] } }).slice(1, -1));

    const r = await w.cli(['switch', A]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await served()).toBe(A);
    const text = await readFile(upstreamFile(), 'utf8');
    expect(text).toContain('# method dynamic');
    expect(text.match(/^ {4}server .*$/gm)?.map((l) => l.replace(/:\d+;$/, ''))).toEqual(['    server agent-1.marathon.test', '    server agent-2.marathon.test']);
    // The balancer's list: the agents' addresses, not their names.
    expect(text).toMatch(new RegExp(`^${A} 100 127\\.0\\.0\\.2:\\d+ 127\\.0\\.0\\.3:\\d+$`, 'm'));
  });

  it('switches between environments through the control socket: no reload, the same workers, production serves the new revision', async () => {
    const plan = await w.cli(['switch', B, '--plan']);
    expect(plan.exitCode, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(new RegExp(`control: PUT unix:\\S+ /backends \\(no reload\\): ${B} 100 127\\.0\\.0\\.2:\\d+ 127\\.0\\.0\\.3:\\d+`));
    expect(plan.stdout).not.toContain('reload:');
    const workers = nginx.workerPids().sort();
    expect(workers.length).toBeGreaterThan(0);
    const r = await w.cli(['switch', B]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${sha12(B)} is live on local (verified; was ${sha12(A)})`);
    for (let i = 0; i < 4; i++) expect(await served()).toBe(B);
    expect(nginx.workerPids().sort()).toEqual(workers);
    expect(await readFile(upstreamFile(), 'utf8')).toMatch(/^ {4}server agent-1\.marathon\.test:\d+;$/m);

    const back = await w.cli(['rollback']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await served()).toBe(A);
    expect(nginx.workerPids().sort()).toEqual(workers);
    // A reload loads the rewritten file, whose server lines nginx resolves itself: still A.
    await nginx.reload();
    for (let i = 0; i < 4; i++) expect(await served()).toBe(A);
  });

  it('a backend name the load balancer cannot resolve: exit 4 naming the host and the name, nothing changed', async () => {
    const before = await readFile(upstreamFile(), 'utf8');
    const workers = nginx.workerPids().sort();
    const plan = await w.cli(['switch', C, '--plan'], { config: 'nowhere.yaml' });
    expect(plan.exitCode).toBe(4);
    const r = await w.cli(['switch', C], { config: 'nowhere.yaml' });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(`cannot be switched to with switch.method dynamic: ${NOWHERE} does not resolve on local`);
    expect(r.stderr).toMatch(new RegExp(`local: ${NOWHERE.replace(/\./g, '\\.')}:\\d+ is a host name that did not resolve to an address \\(no such name\\)`));
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(await readFile(upstreamFile(), 'utf8')).toBe(before);
    expect(await served()).toBe(A);
    expect(nginx.workerPids().sort()).toEqual(workers);
  });
});
