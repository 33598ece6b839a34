// Fault cases: `deployer switch` on two load balancers reached over real sshd on loopback. A host
// unreachable, a host key that is wrong or unknown, a key the server refuses, the hosts drifting
// apart, and an SSH connection dropped at the worst moments: between the two phases (after lb1 went
// live, before lb2's rename), while lb2's reload runs, and with lb2 refusing to take the connection
// back. Every host ends restored or fully switched; the history agrees with what is served.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { faultCase, type FaultOutcome } from '../support/fault-case.js';
import { gate, historyLive, pause, startCli, stillRunning, switchIntact, switchLeftovers, type Lb } from '../support/faults-switch-world.js';
import type { Nginx } from '../support/nginx.js';
import { unchangedFile } from '../support/nothing-lost.js';
import { descendants } from '../support/process.js';
import { SKIP_BASHRC } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { makeWorld, nginxArgv, startLbNginx, type World } from '../support/switch-world.js';
import { freePorts } from '../support/ports.js';

let w: World;
const sshd: Sshd[] = [];
const lbs: Lb[] = [];
let stateDir: string;
let marks = 0;
const marker = () => join(w.dir, `ssh-mark-${++marks}`);
const file = (i: number) => lbs[i]!.file;
const live = async () => (await historyLive(stateDir, w.app))!;
const other = async () => ((await live()) === w.revs[0] ? w.revs[1]! : w.revs[0]!);

interface HostOver {
  port?: number;
  knownHosts?: string;
  identityFile?: string;
  test?: string[];
  reload?: string[];
}

function hostEntry(i: number, o: HostOver = {}): string[] {
  const n: Nginx = lbs[i]!.nginx;
  const s = sshd[i]!;
  return [
    `    - ssh: ${s.user}@127.0.0.1:${o.port ?? s.port}`,
    `      name: lb${i + 1}`,
    `      identityFile: ${o.identityFile ?? s.clientKeyPath}`,
    `      knownHosts: ${o.knownHosts ?? s.knownHostsPath}`,
    `      file: ${file(i)}`,
    `      test: ${JSON.stringify(o.test ?? nginxArgv(n, '-t'))}`,
    `      reload: ${JSON.stringify(o.reload ?? nginxArgv(n, '-s', 'reload'))}`,
    `      verify: { url: "http://127.0.0.1:${n.port}/", timeoutSeconds: 10 }`,
  ];
}

let configs = 0;
/** A config for both hosts with per-host overrides; returns its name in the world's directory. */
async function config(over: [HostOver?, HostOver?] = []): Promise<string> {
  const name = `ssh${configs + 1}.yaml`;
  await w.writeConfig(`ssh${++configs}.yaml`, [
    'switch:',
    '  upstream: backend',
    '  file: /nonexistent/overridden-per-host.conf',
    '  verify: { url: "http://127.0.0.1:1/" }',
    `  stateDir: ${stateDir}`,
    '  hosts:',
    ...hostEntry(0, over[0]),
    ...hostEntry(1, over[1]),
  ]);
  return name;
}

const reload = (i: number) => nginxArgv(lbs[i]!.nginx, '-s', 'reload');

/** Drops every SSH connection to the host: its sshd's per-connection processes and their sessions. */
function dropConnections(i: number): void {
  for (const p of descendants(sshd[i]!.pid).reverse()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function snapshotFiles(): Promise<string[]> {
  return Promise.all([0, 1].map((i) => readFile(file(i), 'utf8')));
}

async function unchanged(before: string[]): Promise<string[]> {
  return [...(await unchangedFile(file(0), before[0]!)), ...(await unchangedFile(file(1), before[1]!))];
}

/** A switch the hosts refuse before anything is written. */
async function refused(over: [HostOver?, HostOver?], expectedExit: number, message: RegExp): Promise<FaultOutcome> {
  const before = await snapshotFiles();
  const r = await w.cli(['switch', await other()], { config: await config(over) });
  return { exitCode: r.exitCode, expectedExit, output: r.stdout + r.stderr, message, lost: [...(await unchanged(before)), ...(await switchIntact(lbs, stateDir, w.app))] };
}

beforeAll(async () => {
  w = await makeWorld('faults-ssh', 2);
  stateDir = join(w.dir, 'state');
  for (let i = 0; i < 2; i++) {
    sshd.push(await startSshd({ extraConfig: SKIP_BASHRC }));
    const n = await startLbNginx();
    lbs.push({ name: `lb${i + 1}`, nginx: n, file: join(n.prefix, 'conf.d', 'backend.conf') });
  }
  await copyFile(join(w.dir, await config()), join(w.dir, 'deployer.yaml'));
  for (const r of w.revs) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
  const s = await w.cli(['switch', w.revs[0]!]);
  expect(s.exitCode, s.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  for (const l of lbs) await l.nginx.close().catch(() => {});
  for (const s of sshd) await s.close().catch(() => {});
  await w?.close();
});

describe('switch faults over SSH', () => {
  faultCase('ssh', 'the second host is unreachable (nothing listens): refused, nothing changed', async () => {
    const [port] = await freePorts(1);
    return refused([undefined, { port: port! }], 4, new RegExp(`127\\.0\\.0\\.1:${port}: cannot connect over SSH`));
  });

  faultCase('ssh', 'the second host presents a wrong host key: refused, nothing changed', async () => {
    const wrong = join(w.dir, 'wrong_known_hosts');
    await writeFile(wrong, `[127.0.0.1]:${sshd[1]!.port} ${sshd[0]!.hostKeyPub}\n`);
    return refused([undefined, { knownHosts: wrong }], 4, /host key/i);
  });

  faultCase('ssh', 'the second host key is unknown (not in known_hosts): refused, nothing changed', async () => {
    const empty = join(w.dir, 'empty_known_hosts');
    await writeFile(empty, '');
    return refused([undefined, { knownHosts: empty }], 4, /host key/i);
  });

  faultCase('ssh', 'the second host refuses the key (authentication fails): refused, nothing changed', async () => {
    // lb1's client key is not authorised on lb2.
    const foreign = join(w.dir, 'foreign_key');
    await copyFile(sshd[0]!.clientKeyPath, foreign);
    return refused([undefined, { identityFile: foreign }], 4, new RegExp(`127\\.0\\.0\\.1:${sshd[1]!.port}: SSH authentication failed`));
  });

  faultCase('nginx', 'the hosts drift apart (lb2 edited by hand): refused (exit 4), both files kept', async () => {
    const before = await snapshotFiles();
    const edited = before[1]!.replace(/server 127\.0\.0\.1:\d+;/, 'server 127.0.0.1:9;');
    await writeFile(file(1), edited);
    try {
      const r = await w.cli(['switch', await other()], { config: await config() });
      return { exitCode: r.exitCode, expectedExit: 4, output: r.stdout + r.stderr, message: /disagree about what is live \(drift\)/, lost: await unchanged([before[0]!, edited]) };
    } finally {
      await writeFile(file(1), before[1]!);
    }
  });

  /** The run waits in `over`'s paused command while host `drop`'s connection is dropped: it must reconnect and finish. */
  const reconnects = (name: string, drop: number, over: (m: string) => [HostOver?, HostOver?]) =>
    faultCase('ssh', name, async () => {
      const target = await other();
      const m = marker();
      const run = startCli(['--config', join(w.dir, await config(over(m))), 'switch', target], { cwd: w.dir });
      await run.waitFile(m);
      dropConnections(drop);
      await writeFile(`${m}.go`, '');
      const r = await run.result;
      return { exitCode: r.exitCode, expectedExit: 0, output: r.stdout + r.stderr, message: /is live on lb1, lb2 \(verified/, lost: await switchIntact(lbs, stateDir, w.app, target) };
    });
  // lb1's reload waits (nginx already reloaded) while lb2's connection is dropped.
  reconnects('lb2\'s connection drops between the phases (lb1 already live): lb2 reconnects, both switched', 1, (m) => [{ reload: pause(m, `${m}.go`, reload(0)) }]);
  reconnects('lb1\'s connection (which holds the lock and history) drops after both tested: reconnected, both switched', 0, (m) => [undefined, { test: pause(m, `${m}.go`, nginxArgv(lbs[1]!.nginx, '-t')) }]);

  faultCase('ssh', 'lb2\'s connection drops while its reload runs: both restored and reloaded (exit 1)', async () => {
    const before = await snapshotFiles();
    const was = await live();
    const m = marker();
    // lb2's reload has signalled nginx and hangs; then its connection (and session) is dropped.
    const run = startCli(['--config', join(w.dir, await config([undefined, { reload: gate(m, 'after', reload(1)) }])), 'switch', await other()], { cwd: w.dir });
    const pid = await run.waitFile(m);
    dropConnections(1);
    const r = await run.result;
    return {
      exitCode: r.exitCode,
      expectedExit: 1,
      output: r.stdout + r.stderr,
      // The kill reaches the remote shell or the connection first: either way lb2's reload did not finish.
      message: /lb2 failed: .*(exited 137|SSH connection closed before the command finished)/,
      lost: [...stillRunning(pid, 'lb2\'s reload'), ...(await unchanged(before)), ...(await switchIntact(lbs, stateDir, w.app, was))],
    };
  });

  faultCase('ssh', 'lb2 drops and refuses to reconnect between the phases: lb1 restored (exit 1); the next switch leaves nothing behind', async () => {
    const before = await snapshotFiles();
    const was = await live();
    const m = marker();
    const keys = await readFile(sshd[1]!.authorizedKeysPath, 'utf8');
    const run = startCli(['--config', join(w.dir, await config([{ reload: pause(m, `${m}.go`, reload(0)) }])), 'switch', await other()], { cwd: w.dir });
    await run.waitFile(m);
    await writeFile(sshd[1]!.authorizedKeysPath, '');
    dropConnections(1);
    await writeFile(`${m}.go`, '');
    const r = await run.result;
    const lost = [...(await unchanged(before)), ...(await switchIntact(lbs, stateDir, w.app, was)).filter((l) => !l.includes('.deployer-staged'))];
    // lb2 could not be reached to remove its staged file: the message says so, the next run replaces it.
    // The pre-rename read that meets the dead session reconnects once, so the headline is the refusal.
    await writeFile(sshd[1]!.authorizedKeysPath, keys);
    const next = await w.cli(['switch', await other()], { config: await config() });
    if (next.exitCode !== 0) lost.push(`the next switch exited ${next.exitCode}:\n${next.stderr}`);
    lost.push(...(await switchLeftovers(join(lbs[1]!.nginx.prefix, 'conf.d'))));
    return { exitCode: r.exitCode, expectedExit: 1, output: r.stdout + r.stderr, message: /lb2 failed: .*SSH authentication failed/, lost };
  });
});
