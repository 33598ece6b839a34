// Support for the switch fault cases (test/faults/switch*.test.ts, ssh, signals, secrets): wrapper
// scripts that stop a phase of `deployer switch` at a known point (a marker file, never a sleep),
// a CLI run that can be signalled, and the switch's "nothing lost" check: every load balancer's
// file names the revision nginx serves, the history agrees, and no lock or staged file is left.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { ROOT, type CliResult } from './cli.js';
import { httpGet } from './http.js';
import { heldLock } from './nothing-lost.js';
import type { Nginx } from './nginx.js';
import { children, isAlive } from './process.js';
import { StopWaiting, waitFor } from './wait.js';
import { makeWorld, nginxArgv, startLbNginx, type World } from './switch-world.js';

const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** `/bin/sh -c script sh args...`: the script is fixed text, data only ever travels as arguments. */
const sh = (script: string, ...args: string[]): string[] => ['/bin/sh', '-c', script, 'sh', ...args];

/**
 * The first run writes its pid to `marker` and blocks until killed; every later run (the marker
 * exists) runs the command. `when: 'before'` blocks before the command runs (e.g. before nginx got
 * the reload signal), `'after'` runs it first and blocks after it (nginx already reloading).
 */
export function gate(marker: string, when: 'before' | 'after', argv: readonly string[]): string[] {
  const hold = 'echo $$ > "$m.tmp"; mv "$m.tmp" "$m"; while :; do sleep 0.1; done';
  return when === 'before'
    ? sh(`m=$1; shift; if [ ! -e "$m" ]; then ${hold}; fi; exec "$@"`, marker, ...argv)
    : sh(`m=$1; shift; "$@"; s=$?; if [ ! -e "$m" ]; then ${hold}; fi; exit $s`, marker, ...argv);
}

/**
 * The first run runs the command, writes `marker` and waits for `go` to exist before it exits with
 * the command's status: the test does something to the world in between (drops a connection).
 */
export function pause(marker: string, go: string, argv: readonly string[]): string[] {
  return sh('m=$1; g=$2; shift 2; "$@"; s=$?; if [ ! -e "$m" ]; then echo $$ > "$m"; while [ ! -e "$g" ]; do sleep 0.05; done; fi; exit $s', marker, go, ...argv);
}

export interface CliRun {
  pid: number;
  proc: ResultPromise;
  /** The result; a run still going after timeoutMs is SIGKILLed (so a signal handler cannot mask it). */
  result: Promise<CliResult>;
  /** Resolves with the file's text once it exists; rejects as soon as the run ends without it. */
  waitFile(path: string, timeoutMs?: number): Promise<string>;
}

/**
 * The CLI in its own process group (like a command started from a shell), so a test can signal the
 * deployer process alone (`kill <pid>`, as Jenkins' abort does) or the whole group (Ctrl-C).
 */
export function startCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): CliRun {
  const proc = execa(process.execPath, ['--import', TSX_LOADER, `${ROOT}src/cli/bin.ts`, ...args], {
    cwd: opts.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...opts.env },
    reject: false,
    detached: true,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
  });
  let ended: CliResult | undefined;
  const result = proc.then((r) => (ended = { exitCode: r.exitCode ?? (r.timedOut ? -1 : -2), stdout: String(r.stdout), stderr: String(r.stderr) + (r.timedOut ? '\n[the run did not end in time and was killed]' : '') }));
  return {
    pid: proc.pid!,
    proc,
    result,
    waitFile: (path, timeoutMs = 60_000) =>
      waitFor(() => {
        if (existsSync(path)) return readFileSync(path, 'utf8');
        if (ended) throw new StopWaiting(`the run ended before ${path} appeared:\n${ended.stdout}${ended.stderr}`);
        return undefined;
      }, { what: path, timeoutMs }),
  };
}

/** Sends a signal to the deployer process, or to its whole process group (what Ctrl-C does). */
export function signalCli(run: CliRun, sig: NodeJS.Signals, group = false): void {
  process.kill(group ? -run.pid : run.pid, sig);
}

/** The revision comment deployer writes into an upstream file. */
export function fileRevision(text: string | undefined): string | undefined {
  return text?.match(/^# revision ([0-9a-f]{40})$/m)?.[1];
}

/** Waits until no worker of the master is still "shutting down" (an old configuration's). */
async function settled(masterPid: number): Promise<void> {
  await waitFor(() => children(masterPid).every((c) => !readCmdline(c.pid).includes('shutting down')), {
    what: `nginx ${masterPid} to retire its old workers`,
    timeoutMs: 15_000,
  });
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** What the load balancer answers with (its revision header), or why it answered nothing. */
export async function servedBy(n: Nginx): Promise<string> {
  if (!isAlive(n.pid)) return '(nginx not running)';
  await settled(n.pid);
  try {
    const r = await httpGet(`http://127.0.0.1:${n.port}/`, { timeoutMs: 5000 });
    return String(r.headers['x-revision'] ?? `(HTTP ${r.status} without a revision)`);
  } catch (e) {
    return `(no answer: ${(e as Error).message})`;
  }
}

/**
 * What nginx serves once a reload deployer just sent has taken effect: `nginx -s reload` returns
 * before the master has read the files, so the answer is taken when it has named `expected` for a
 * second (as deployer's own verification does), or after 10 s, whatever it is then.
 */
export async function servedSettled(n: Nginx, expected: string | undefined): Promise<string> {
  const deadline = Date.now() + 10_000;
  let since: number | undefined;
  for (;;) {
    const now = await servedBy(n);
    if (now !== expected) since = undefined;
    else if (Date.now() - (since ??= Date.now()) >= 1000) return now;
    if (Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Lb {
  name: string;
  nginx: Nginx;
  file: string;
}

/** Last entry of the history deployer keeps (`<stateDir>/<app>/history.jsonl`). */
export async function historyLive(stateDir: string, app: string): Promise<string | undefined> {
  let text = '';
  try {
    text = await readFile(join(stateDir, app, 'history.jsonl'), 'utf8');
  } catch {
    return undefined;
  }
  const last = text.trim().split('\n').filter(Boolean).at(-1);
  return last ? (JSON.parse(last) as { to: string }).to : undefined;
}

/** Staged, shadow and temp files deployer makes beside the files it manages. */
export async function switchLeftovers(...dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of new Set(dirs)) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names) if (/\.deployer-(staged|test)$|\.deployer-[0-9a-f]+\.tmp$/.test(n)) out.push(`${join(dir, n)} left behind`);
  }
  return out;
}

/**
 * A switch lost nothing when, on every load balancer, the file names what nginx serves, the history
 * records it as live (when `expectLive` is given, that revision), no staged file is left, and the
 * lock is free. Byte-identity is checked by the case (unchangedFile) when it expects no change.
 */
export async function switchIntact(lbs: readonly Lb[], stateDir: string, app: string, expectLive?: string): Promise<string[]> {
  const out: string[] = [];
  const recorded = await historyLive(stateDir, app);
  for (const lb of lbs) {
    const named = fileRevision(await readFile(lb.file, 'utf8').catch(() => undefined));
    const served = await servedSettled(lb.nginx, named);
    if (named !== served) out.push(`${lb.name}: ${lb.file} names ${named ?? 'nothing'} but nginx serves ${served}`);
    if (recorded !== served) out.push(`${lb.name}: the history says ${recorded ?? 'nothing'} is live but nginx serves ${served}`);
    if (expectLive && served !== expectLive) out.push(`${lb.name}: serves ${served}, expected ${expectLive}`);
    out.push(...(await switchLeftovers(dirname(lb.file), dirname(lb.nginx.confPath))));
  }
  out.push(...(await heldLock(stateDir, app)));
  return out;
}

/** A process a wrapper recorded in its marker that is still running after deployer ended. */
export function stillRunning(markerText: string, what: string): string[] {
  const pid = Number(markerText.trim());
  return pid && isAlive(pid) ? [`${what} (pid ${pid}) still running after deployer exited`] : [];
}

/** An HTTP server that answers 503 to everything and notes the first request (a verify that hangs). */
export async function stallingVerifier(): Promise<{ url: string; asked: Promise<void>; close(): Promise<void> }> {
  let first!: () => void;
  const asked = new Promise<void>((r) => (first = r));
  const server: Server = createServer((_req, res) => {
    first();
    res.writeHead(503, { connection: 'close' }).end('not yet\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, asked, close: () => new Promise((r) => server.close(() => r())) };
}

/** A Docker API socket that accepts connections and never answers (gather stalls on it). */
export async function stallingDockerSocket(path: string): Promise<{ host: string; connected: Promise<void>; close(): Promise<void> }> {
  const { createServer: netServer } = await import('node:net');
  let first!: () => void;
  const connected = new Promise<void>((r) => (first = r));
  const sockets = new Set<import('node:net').Socket>();
  const server = netServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.resume();
    first();
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    host: `unix://${path}`,
    connected,
    close: () => new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** A small tmpfs over a directory (we run as root), holding the given files. */
export async function mountTmpfs(dir: string, sizeKb: number, files: Record<string, string>): Promise<{ fill(): Promise<void>; readOnly(): Promise<void>; umount(): Promise<void> }> {
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
  const { writeFile } = await import('node:fs/promises');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return {
    // dd stops at ENOSPC (exit 1): afterwards not one more block fits.
    fill: async () => void (await execa('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k'], { reject: false })),
    readOnly: async () => void (await execa('mount', ['-o', 'remount,ro', dir])),
    umount: async () => void (await execa('umount', ['-l', dir], { reject: false })),
  };
}

export interface SwitchOver {
  test?: string[];
  reload?: string[];
  verifyUrl?: string;
  stateDir?: string;
  /** Another nginx than the world's (its own prefix and port). */
  n?: Nginx;
}

/** One local nginx, two deployed and tested revisions, the first live (switched by the CLI). */
export interface LocalSwitchWorld {
  w: World;
  nginx: Nginx;
  lb: Lb;
  stateDir: string;
  file: string;
  /** Writes a config whose switch section has these overrides; returns its absolute path. */
  config(o?: SwitchOver): Promise<string>;
  /** What the history records as live. */
  live(): Promise<string>;
  /** The revision that is not live (the target of the next switch). */
  other(): Promise<string>;
  close(): Promise<void>;
}

export async function localSwitchWorld(name: string, verifySeconds: number): Promise<LocalSwitchWorld> {
  const w = await makeWorld(name, 2);
  const nginx = await startLbNginx();
  const stateDir = join(w.dir, 'state');
  const file = join(nginx.prefix, 'conf.d', 'backend.conf');
  const section = (o: SwitchOver = {}) => {
    const n = o.n ?? nginx;
    return [
      'switch:',
      '  upstream: backend',
      `  file: ${join(n.prefix, 'conf.d', 'backend.conf')}`,
      `  test: ${JSON.stringify(o.test ?? nginxArgv(n, '-t'))}`,
      `  reload: ${JSON.stringify(o.reload ?? nginxArgv(n, '-s', 'reload'))}`,
      `  verify: { url: ${JSON.stringify(o.verifyUrl ?? `http://127.0.0.1:${n.port}/`)}, timeoutSeconds: ${verifySeconds} }`,
      `  stateDir: ${o.stateDir ?? stateDir}`,
    ];
  };
  let configs = 0;
  const live = async () => (await historyLive(stateDir, w.app))!;
  const world: LocalSwitchWorld = {
    w, nginx, stateDir, file,
    lb: { name: 'local', nginx, file },
    config: (o) => w.writeConfig(`c${++configs}.yaml`, section(o)),
    live,
    other: async () => ((await live()) === w.revs[0] ? w.revs[1]! : w.revs[0]!),
    async close() {
      await nginx.close();
      await w.close();
    },
  };
  await w.writeConfig('deployer.yaml', section());
  for (const r of w.revs) {
    const d = await w.cli(['deploy', r]);
    if (d.exitCode !== 0) throw new Error(`deploy ${r} exited ${d.exitCode}:\n${d.stderr}`);
    await w.markTested(r);
  }
  const s = await w.cli(['switch', w.revs[0]!]);
  if (s.exitCode !== 0) throw new Error(`the first switch exited ${s.exitCode}:\n${s.stderr}`);
  return world;
}
