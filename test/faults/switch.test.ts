// Fault cases for `deployer switch` on one local nginx: nginx refuses the file or the reload, the
// directory is read-only or full, verification fails, the file is edited while the switch runs,
// the state directory is full, and two switches race. Every case starts from a consistent world
// (file, nginx and history agree on the live revision) and must end in one: unchanged, or fully
// switched, served and recorded.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { faultCase } from '../support/fault-case.js';
import { localSwitchWorld, mountTmpfs, pause, servedBy, startCli, switchIntact, switchLeftovers, type Lb, type LocalSwitchWorld, type SwitchOver } from '../support/faults-switch-world.js';
import { heldLock, unchangedFile } from '../support/nothing-lost.js';
import { startLbNginx, nginxArgv, type World } from '../support/switch-world.js';
import type { Nginx } from '../support/nginx.js';
import { isAlive } from '../support/process.js';
import { waitFor } from '../support/wait.js';

let world: LocalSwitchWorld;
let w: World;
let nginx: Nginx;
let lb: Lb;
let stateDir: string;
const file = () => world.file;
const live = () => world.live();
const other = () => world.other();
const config = (o: SwitchOver) => world.config(o).then((p) => p.split('/').at(-1)!);

/** Runs `switch <the other revision>` with the config; the world must come out unchanged. */
async function refused(o: SwitchOver, expectedExit: number, message: RegExp, extra: () => Promise<string[]> = async () => []) {
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
  world = await localSwitchWorld('faults-switch', 10);
  ({ w, nginx, lb, stateDir } = world);
}, 300_000);

afterAll(() => world?.close());

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

  faultCase('nginx', 'the upstream file is edited by hand while the switch tests: the edit is kept (exit 4)', async () => {
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
    return { exitCode: r.exitCode, expectedExit: 4, output: r.stdout + r.stderr, message: /changed since this plan was made/, lost };
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

  /** The state directory on a small tmpfs made full or read-only: refused before nginx is touched. */
  const stateDirCase = (how: 'full' | 'read-only', message: RegExp) =>
    faultCase('disk', `the state directory is ${how}: refused before nginx is touched, no lock left`, async () => {
      const dir = join(w.dir, `state-${how}-${Date.now()}`);
      await mkdir(dir);
      const fs = await mountTmpfs(dir, 16, {});
      try {
        await (how === 'full' ? fs.fill() : fs.readOnly());
        return await refused({ stateDir: dir }, 1, message, () => heldLock(dir, w.app));
      } finally {
        await fs.umount();
      }
    });
  stateDirCase('full', /ENOSPC|no space left/i);
  stateDirCase('read-only', /read-only file system|EROFS/i);
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

