import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../support/http.js';
import { startLuaLbNginx } from '../support/lua-nginx.js';
import type { Nginx } from '../support/nginx.js';
import { SKIP_BASHRC, sshSwitchHost } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { makeWorld, nginxArgv, type World } from '../support/switch-world.js';

// switch.method dynamic on two load balancers over SSH: the control socket is reached on each host
// through a forwarded stream (no TCP port opened for it). Each host has its own nginx prefix and
// control socket (per-host overrides), as two machines would.

let w: World;
let A: string;
let B: string;
const sshd: Sshd[] = [];
const lbs: Nginx[] = [];
const file = (i: number) => join(lbs[i]!.prefix, 'conf.d', 'backend.conf');
const socket = (i: number) => join(w.dir, `lb${i + 1}`, 'control', 'backend.sock');
const served = async (i: number) => (await httpGet(`http://127.0.0.1:${lbs[i]!.port}/`)).headers['x-revision'];

function hostEntry(i: number, test?: string[]): string[] {
  return sshSwitchHost(i, sshd[i]!, lbs[i]!, { file: file(i), test: test ?? nginxArgv(lbs[i]!, '-t'), extra: [`      controlSocket: ${socket(i)}`] });
}

const section = (second: string[]) => [
  'switch:',
  '  upstream: backend',
  '  method: dynamic',
  '  file: /nonexistent/overridden-per-host.conf',
  '  verify: { url: "http://127.0.0.1:1/" }',
  `  stateDir: ${join(w.dir, 'state')}`,
  '  hosts:',
  ...hostEntry(0),
  ...second,
];

beforeAll(async () => {
  w = await makeWorld('e2e-dyn-ssh', 2);
  [A, B] = w.revs as [string, string];
  for (let i = 0; i < 2; i++) {
    sshd.push(await startSshd({ extraConfig: SKIP_BASHRC }));
    lbs.push(await startLuaLbNginx());
  }
  await w.writeConfig('deployer.yaml', section(hostEntry(1)));
  // lb2 loses its control socket after the test: lb1 is already updated when lb2's update fails.
  await w.writeConfig('lose-lb2.yaml', section(hostEntry(1, ['/bin/sh', '-c', '"$@" && mv "$0" "$0.gone"', socket(1), ...nginxArgv(lbs[1]!, '-t')])));
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
}, 300_000);

afterAll(async () => {
  for (const n of lbs) await n.close();
  for (const s of sshd) await s.close();
  await w?.close();
});

describe('switch.method dynamic over SSH (two hosts)', () => {
  it('first switch reloads both; the next goes through each host\'s socket with no reload', async () => {
    const first = await w.cli(['switch', A]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect([await served(0), await served(1)]).toEqual([A, A]);
    const workers = lbs.map((n) => n.workerPids().sort());
    const r = await w.cli(['switch', B]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect([await served(0), await served(1)]).toEqual([B, B]);
    expect(lbs.map((n) => n.workerPids().sort())).toEqual(workers);
  });

  it('the update fails on lb2 after lb1 took it: lb1 is put back through its socket, both files byte-identical, exit 1', async () => {
    const before = [await readFile(file(0), 'utf8'), await readFile(file(1), 'utf8')];
    const workers = lbs.map((n) => n.workerPids().sort());
    const r = await w.cli(['switch', A], { config: 'lose-lb2.yaml' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`lb2 failed: the control endpoint ${socket(1)} failed`);
    expect(r.stderr).toContain('lb1:');
    expect(r.stderr).toContain('the previous backends PUT back through the control endpoint (no reload)');
    expect([await readFile(file(0), 'utf8'), await readFile(file(1), 'utf8')]).toEqual(before);
    for (let i = 0; i < 3; i++) expect([await served(0), await served(1)]).toEqual([B, B]);
    expect(lbs.map((n) => n.workerPids().sort())).toEqual(workers);
  });
});
