// Fault cases for `deployer switch` on one local nginx: nginx refuses the file or the reload, the
// directory is read-only or full, verification fails, the file is edited while the switch runs,
// the state directory is full, and two switches race. Every case starts from a consistent world
// (file, nginx and history agree on the live revision) and must end in one: unchanged, or fully
// switched, served and recorded.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { faultCase } from '../support/fault-case.js';
import { historyLive, mountTmpfs, pause, servedBy, startCli, switchIntact, switchLeftovers, type Lb } from '../support/faults-switch-world.js';
import { heldLock, unchangedFile } from '../support/nothing-lost.js';
import { startLbNginx, nginxArgv, makeWorld, type World } from '../support/switch-world.js';
import type { Nginx } from '../support/nginx.js';
import { isAlive } from '../support/process.js';
import { waitFor } from '../support/wait.js';

let w: World;
let nginx: Nginx;
let lb: Lb;
let stateDir: string;
const file = () => join(nginx.prefix, 'conf.d', 'backend.conf');

interface Over {
  test?: string[];
  reload?: string[];
  verifyUrl?: string;
  stateDir?: string;
  n?: Nginx;
}

function section(o: Over = {}): string[] {
  const n = o.n ?? nginx;
  return [
    'switch:',
    '  upstream: backend',
    `  file: ${join(n.prefix, 'conf.d', 'backend.conf')}`,
    `  test: ${JSON.stringify(o.test ?? nginxArgv(n, '-t'))}`,
    `  reload: ${JSON.stringify(o.reload ?? nginxArgv(n, '-s', 'reload'))}`,
    `  verify: { url: ${JSON.stringify(o.verifyUrl ?? `http://127.0.0.1:${n.port}/`)}, timeoutSeconds: 10 }`,
    `  stateDir: ${o.stateDir ?? stateDir}`,
  ];
}

let configs = 0;
const config = (o: Over) => w.writeConfig(`c${++configs}.yaml`, section(o)).then((p) => p.split('/').at(-1)!);
const live = async () => (await historyLive(stateDir, w.app))!;
const other = async () => ((await live()) === w.revs[0] ? w.revs[1]! : w.revs[0]!);

/** Runs `switch <the other revision>` with the config; the world must come out unchanged. */
async function refused(o: Over, expectedExit: number, message: RegExp, extra: () => Promise<string[]> = async () => []) {
  const before = await readFile(file(), 'utf8');
  const target = await other();
  const r = await w.cli(['switch', target], { config: await config(o) });
  return {
    exitCode: r.exitCode,
    expectedExit,
    output: r.stdout + r.stderr,
    message,
    lost: [...(await unchangedFile(file(), before)), ...(await switchIntact([lb], stateDir, w.app)), ...(await extra())],
  };
}

beforeAll(async () => {
  w = await makeWorld('faults-switch', 2);
  nginx = await startLbNginx();
  stateDir = join(w.dir, 'state');
  lb = { name: 'local', nginx, file: file() };
  await w.writeConfig('deployer.yaml', section());
  for (const r of w.revs) {
    const d = await w.cli(['deploy', r]);
    expect(d.exitCode, d.stderr).toBe(0);
    await w.markTested(r);
  }
  const s = await w.cli(['switch', w.revs[0]!]);
  expect(s.exitCode, s.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await nginx?.close();
  await w?.close();
});

describe('switch faults: nginx', () => {
  faultCase('nginx', '`nginx -t` rejects the configuration: nothing goes live', () =>
    refused({ test: nginxArgv(nginx, '-g', 'worker_processes bogus;', '-t') }, 1, /failed the test; nothing went live/));

  faultCase('nginx', '`nginx -s reload` fails: the file is put back and nginx keeps serving the old revision', () =>
    refused({ reload: nginxArgv(nginx, '-g', `pid ${join(nginx.prefix, 'no-such-dir', 'nginx.pid')};`, '-s', 'reload') }, 1, /reload .* exited 1.*restored|previous files were/));

  faultCase('nginx', 'the reload command does not exist: the file is put back', () =>
    refused({ reload: ['/nonexistent/sbin/nginx', '-s', 'reload'] }, 1, /nonexistent\/sbin\/nginx/));

  faultCase('nginx', 'the test command does not exist: nothing goes live', () =>
    refused({ test: ['/nonexistent/sbin/nginx', '-t', '-c', '{staged}'] }, 1, /nonexistent\/sbin\/nginx/));

  faultCase('nginx', 'verification fails (nginx serves something else): switched back and the revert recorded', async () => {
    const wrong = await startLbNginx();
    try {
      const was = await live();
      const out = await refused({ verifyUrl: `http://127.0.0.1:${wrong.port}/` }, 1, /verification failed: .* switched back/);
      // The revert is recorded: the history's last entry is the revision served before.
      if ((await live()) !== was) out.lost.push(`history now says ${await live()}, was ${was}`);
      return out;
    } finally {
      await wrong.close();
    }
  });

  faultCase('nginx', 'the upstream directory is read-only: refused before anything goes live', async () => {
    const dir = join(nginx.prefix, 'conf.d');
    const text = await readFile(file(), 'utf8');
    const fs = await mountTmpfs(dir, 64, { 'backend.conf': text });
    try {
      await fs.readOnly();
      return await refused({}, 1, /read-only file system|EROFS/i);
    } finally {
      await fs.umount();
    }
  });

  faultCase('nginx', 'the upstream file is edited by hand while the switch tests: the edit is kept (exit 3)', async () => {
    const marker = join(w.dir, `edit-${Date.now()}.marker`);
    const go = `${marker}.go`;
    const before = await readFile(file(), 'utf8');
    const edited = `${before}# a hand edit made during the switch\n`;
    const run = startCli(['--config', join(w.dir, await config({ test: pause(marker, go, nginxArgv(nginx, '-t')) })), 'switch', await other()], { cwd: w.dir });
    await run.waitFile(marker);
    await writeFile(file(), edited);
    await writeFile(go, '');
    const r = await run.result;
    const lost = [...(await unchangedFile(file(), edited)), ...(await switchLeftovers(join(nginx.prefix, 'conf.d'))), ...(await heldLock(stateDir, w.app))];
    await writeFile(file(), before); // what nginx serves, again (the comment changed nothing it loaded)
    return { exitCode: r.exitCode, expectedExit: 3, output: r.stdout + r.stderr, message: /changed since this plan was made/, lost };
  });

  faultCase('nginx', 'nginx is not running: the reload fails, the file is put back and not called a failed restore', async () => {
    const down = await startLbNginx();
    const downFile = join(down.prefix, 'conf.d', 'backend.conf');
    try {
      const cfg = await config({ n: down, verifyUrl: `http://127.0.0.1:${nginx.port}/` });
      const before = await readFile(downFile, 'utf8');
      process.kill(down.pid, 'SIGQUIT');
      await waitFor(() => !isAlive(down.pid), { what: 'the nginx master to exit' });
      const r = await w.cli(['switch', await other()], { config: cfg });
      const output = r.stdout + r.stderr;
      const lost = [...(await unchangedFile(downFile, before)), ...(await switchLeftovers(join(down.prefix, 'conf.d'), down.prefix)), ...(await heldLock(stateDir, w.app)), ...(await switchIntact([lb], stateDir, w.app))];
      if (/RESTORE FAILED|fix this host by hand/.test(output)) lost.push('the output calls a byte-identical file a failed restore');
      return { exitCode: r.exitCode, expectedExit: 1, output, message: /reload .* exited 1/, lost };
    } finally {
      await down.close();
    }
  });
});

describe('switch faults: disk', () => {
  faultCase('disk', 'the upstream directory is full: nothing goes live, no staged file left', async () => {
    const dir = join(nginx.prefix, 'conf.d');
    const text = await readFile(file(), 'utf8');
    const fs = await mountTmpfs(dir, 16, { 'backend.conf': text });
    try {
      await fs.fill();
      return await refused({}, 1, /ENOSPC|no space left/i);
    } finally {
      await fs.umount();
    }
  });

  faultCase('disk', 'the state directory is full: refused before nginx is touched, no lock left', async () => {
    const full = join(w.dir, `full-state-${Date.now()}`);
    await mkdir(full);
    const fs = await mountTmpfs(full, 16, {});
    try {
      await fs.fill();
      return await refused({ stateDir: full }, 1, /ENOSPC|no space left/i, () => heldLock(full, w.app));
    } finally {
      await fs.umount();
    }
  });

  faultCase('disk', 'the state directory is read-only: refused before nginx is touched', async () => {
    const ro = join(w.dir, `ro-state-${Date.now()}`);
    await mkdir(ro);
    const fs = await mountTmpfs(ro, 64, {});
    try {
      await fs.readOnly();
      return await refused({ stateDir: ro }, 1, /read-only file system|EROFS/i, () => heldLock(ro, w.app));
    } finally {
      await fs.umount();
    }
  });
});

describe('switch faults: concurrency', () => {
  faultCase('concurrency', 'two switches at once: one switches, the other exits 3', async () => {
    const marker = join(w.dir, `race-${Date.now()}.marker`);
    const target = await other();
    const cfg = await config({ test: pause(marker, `${marker}.go`, nginxArgv(nginx, '-t')) });
    const first = startCli(['--config', join(w.dir, cfg), 'switch', target], { cwd: w.dir });
    // The first holds the lock (it waits in its test) when the second starts.
    await first.waitFile(marker);
    const second = await w.cli(['switch', target], { config: cfg });
    await writeFile(`${marker}.go`, '');
    const a = await first.result;
    return {
      exitCode: second.exitCode,
      expectedExit: 3,
      output: second.stdout + second.stderr,
      message: /switch lock .* is held by/,
      lost: [...(a.exitCode === 0 ? [] : [`the first run exited ${a.exitCode}:\n${a.stderr}`]), ...(await switchIntact([lb], stateDir, w.app, target))],
    };
  });

  faultCase('concurrency', 'switch and rollback started together: one runs, the other exits 3', async () => {
    const target = await other();
    const marker = join(w.dir, `race2-${Date.now()}.marker`);
    const cfg = await config({ test: pause(marker, `${marker}.go`, nginxArgv(nginx, '-t')) });
    const first = startCli(['--config', join(w.dir, cfg), 'switch', target], { cwd: w.dir });
    await first.waitFile(marker);
    const second = await w.cli(['rollback'], { config: cfg });
    await writeFile(`${marker}.go`, '');
    const a = await first.result;
    return {
      exitCode: second.exitCode,
      expectedExit: 3,
      output: second.stdout + second.stderr,
      message: /switch lock .* is held by/,
      lost: [...(a.exitCode === 0 ? [] : [`the switch exited ${a.exitCode}:\n${a.stderr}`]), ...(await switchIntact([lb], stateDir, w.app, target))],
    };
  });

  faultCase('concurrency', 'a lock left by a dead run: exit 3 naming `lock release`, then release and switch', async () => {
    const target = await other();
    const lockDir = join(stateDir, w.app, 'lock');
    await mkdir(lockDir);
    await writeFile(join(lockDir, 'owner.json'), JSON.stringify({ who: 'ghost', when: new Date().toISOString(), pid: 2 ** 22 + 7, host: (await import('node:os')).hostname(), revision: target, command: 'switch' }));
    const before = await readFile(file(), 'utf8');
    const blocked = await w.cli(['switch', target]);
    const lost = await unchangedFile(file(), before);
    const released = await w.cli(['lock', 'release']);
    const ok = await w.cli(['switch', target]);
    if (released.exitCode !== 0 || ok.exitCode !== 0) lost.push(`release exited ${released.exitCode}, switch exited ${ok.exitCode}:\n${released.stderr}${ok.stderr}`);
    return {
      exitCode: blocked.exitCode,
      expectedExit: 3,
      output: blocked.stdout + blocked.stderr,
      message: new RegExp(`stale.*|deployer lock release`),
      lost: [...lost, ...(await switchIntact([lb], stateDir, w.app, target)), ...((await servedBy(nginx)) === target ? [] : ['not served'])],
    };
  });
});

