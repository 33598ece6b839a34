import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../support/http.js';
import type { Nginx } from '../support/nginx.js';
import { SKIP_BASHRC, sshSwitchHost } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { makeWorld, nginxArgv, startLbNginx, type World } from '../support/switch-world.js';

// Two load balancers reached over SSH (two sshd on loopback, each "host" with its own nginx
// prefix, through per-host overrides of file/test/reload/verify), driven through the CLI.

let w: World;
let A: string;
let B: string;
const sshd: Sshd[] = [];
const lbs: Nginx[] = [];

const file = (i: number) => join(lbs[i]!.prefix, 'conf.d', 'backend.conf');
const served = async (i: number) => (await httpGet(`http://127.0.0.1:${lbs[i]!.port}/`)).headers['x-revision'];
async function fileState(i: number) {
  const st = await stat(file(i));
  return { content: await readFile(file(i), 'utf8'), mode: st.mode, uid: st.uid, gid: st.gid, ino: st.ino };
}

function hostEntry(i: number, over: { test?: string[]; knownHosts?: string } = {}): string[] {
  return sshSwitchHost(i, sshd[i]!, lbs[i]!, { file: file(i), test: over.test ?? nginxArgv(lbs[i]!, '-t'), ...(over.knownHosts ? { knownHosts: over.knownHosts } : {}) });
}

const switchSection = (second: string[]) => [
  'switch:',
  '  upstream: backend',
  '  file: /nonexistent/overridden-per-host.conf',
  `  verify: { url: "http://127.0.0.1:1/" }`,
  `  stateDir: ${join(w.dir, 'state')}`,
  '  hosts:',
  ...hostEntry(0),
  ...second,
];

beforeAll(async () => {
  w = await makeWorld('e2e-switch-ssh', 2);
  [A, B] = w.revs as [string, string];
  for (let i = 0; i < 2; i++) {
    sshd.push(await startSshd({ extraConfig: SKIP_BASHRC }));
    lbs.push(await startLbNginx());
  }
  await w.writeConfig('deployer.yaml', switchSection(hostEntry(1)));
  // lb2's test fails (a directive nginx rejects, given with -g): the test phase fails on the second host.
  await w.writeConfig('failing-test.yaml', switchSection(hostEntry(1, { test: nginxArgv(lbs[1]!, '-g', 'worker_processes bogus;', '-t') })));
  // lb2 presents a host key that is not the one known_hosts has for it.
  const wrong = join(w.dir, 'wrong_known_hosts');
  await writeFile(wrong, `[127.0.0.1]:${sshd[1]!.port} ${sshd[0]!.hostKeyPub}\n`);
  await w.writeConfig('wrong-key.yaml', switchSection(hostEntry(1, { knownHosts: wrong })));
  for (const r of [A, B]) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
}, 300_000);

afterAll(async () => {
  for (const n of lbs) await n.close().catch(() => {});
  for (const s of sshd) await s.close().catch(() => {});
  await w?.close();
});

describe('deployer switch over SSH, two hosts', () => {
  it('a switch changes both hosts', async () => {
    const r = await w.cli(['switch', A]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${A.slice(0, 12)} is live on lb1, lb2 (verified`);
    for (const i of [0, 1]) {
      expect(await readFile(file(i), 'utf8')).toContain(`# revision ${A}`);
      expect(await served(i)).toBe(A);
    }
    const h = JSON.parse((await w.cli(['history', '--json'])).stdout) as { entries: { to: string; hosts: string[] }[] };
    expect(h.entries).toEqual([expect.objectContaining({ to: A, hosts: ['lb1', 'lb2'] })]);
  }, 120_000);

  it('a switch.test failure on the second host leaves both byte-identical and serving the old revision', async () => {
    const before = [await fileState(0), await fileState(1)];
    const r = await w.cli(['switch', B], { config: 'failing-test.yaml' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('lb2 failed the test; nothing went live on any host');
    expect(r.stderr).toContain(`'worker_processes bogus;' -t\` exited 1`);
    expect(r.stderr).toContain('[emerg] "worker_processes" directive invalid value');
    expect([await fileState(0), await fileState(1)]).toEqual(before);
    expect([await served(0), await served(1)]).toEqual([A, A]);
    const h = JSON.parse((await w.cli(['history', '--json'])).stdout) as { entries: unknown[] };
    expect(h.entries).toHaveLength(1);
    expect(JSON.parse((await w.cli(['status', '--json'])).stdout)).toMatchObject({ live: A, drift: [], lock: { held: false } });
  }, 120_000);

  it('a host key that does not match known_hosts is refused and nothing changes', async () => {
    const before = [await fileState(0), await fileState(1)];
    const r = await w.cli(['switch', B], { config: 'wrong-key.yaml' });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/host key/i);
    expect([await fileState(0), await fileState(1)]).toEqual(before);
  }, 120_000);

  it('switches both to the new revision, then rolls both back', async () => {
    const r = await w.cli(['switch', B]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect([await served(0), await served(1)]).toEqual([B, B]);
    const back = await w.cli(['rollback']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect([await served(0), await served(1)]).toEqual([A, A]);
  }, 120_000);
});
