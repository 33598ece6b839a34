// Long-running service processes for integration tests: spawned in their own process group with
// output in a log file, tracked, and killed with their whole tree on stop() or, as a backstop,
// when the test process exits or is signalled.
//
// Why not just subprocess.kill():
// - nginx workers survive a SIGKILLed master (verified: they are re-parented and keep serving), so
//   we kill the process group and every recorded descendant.
// - sshd's per-connection children call setsid(), leaving the group; we find them through /proc
//   parent links before signalling the leader.
// - PID 1 on this machine does not always reap re-parented children, so a killed grandchild can
//   stay a zombie: a zombie counts as gone.
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { onProcessExit } from './exit-hooks.js';
import { StopWaiting, waitFor } from './wait.js';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  starttime: number;
}

/** Parses /proc/<pid>/stat; undefined if the process does not exist. */
export function procInfo(pid: number): ProcInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  //  cutime cstime priority nice num_threads itrealvalue starttime ..." — comm may contain spaces.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0]!, ppid: Number(rest[1]), pgid: Number(rest[2]), starttime: Number(rest[19]) };
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = procInfo(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** All descendants of pid (children, grandchildren, ...), found through parent links in /proc. */
export function descendants(pid: number): ProcInfo[] {
  const procs = allProcs();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of procs) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Direct children of pid. */
export function children(pid: number): ProcInfo[] {
  return allProcs().filter((p) => p.ppid === pid);
}

/** Alive = exists, is not a zombie, and (if given) is the same process (same start time). */
export function isAlive(pid: number, starttime?: number): boolean {
  const info = procInfo(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  return starttime === undefined || info.starttime === starttime;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * The leader (if it is still the process started at `starttime`), everything below it, and the
 * members of its process group (which outlive a dead leader, e.g. orphaned nginx workers).
 * Guards against pid reuse: nothing older than the leader's start time is included.
 */
function snapshot(pid: number, starttime: number | undefined): ProcInfo[] {
  const self = procInfo(pid);
  const same = self !== undefined && (starttime === undefined || self.starttime === starttime);
  const since = starttime ?? self?.starttime ?? Number.MAX_SAFE_INTEGER;
  const procs = allProcs();
  const found = procs.filter((p) => p.pgid === pid && p.starttime >= since);
  if (same) {
    found.push(self);
    found.push(...descendants(pid));
  }
  return [...new Map(found.map((p) => [p.pid, p])).values()];
}

function killAll(procs: ProcInfo[], sig: NodeJS.Signals): void {
  for (const p of procs) if (isAlive(p.pid, p.starttime)) signal(p.pid, sig);
}

// ---- tracking and exit backstop -------------------------------------------------------------

const live = new Map<number, { name: string; starttime: number | undefined }>();
let hooked = false;

function killTrackedSync(): void {
  for (const [pid, { starttime }] of live) killAll(snapshot(pid, starttime), 'SIGKILL');
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  onProcessExit(killTrackedSync, 0);
}

/** Pids of service processes started by this test process and not yet stopped. */
export function trackedPids(): number[] {
  return [...live.keys()];
}

// ---- spawning -------------------------------------------------------------------------------

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr of the process (appended). */
  readonly logPath: string;
  /** Settles when the leader process has exited (never rejects). */
  readonly exited: Promise<{ exitCode?: number; signal?: string }>;
  hasExited(): boolean;
  /** The last `maxChars` characters of the log. */
  logTail(maxChars?: number): string;
  /** Current pids of the leader and its descendants. */
  tree(): number[];
  /**
   * Sends `signal` (default SIGTERM) to the leader, waits up to graceMs (default 5000) for it to
   * exit, then SIGKILLs the process group; finally SIGKILLs any recorded descendant still alive
   * (e.g. setsid'd sshd sessions) and waits until all of them are gone. Idempotent.
   */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

export interface SpawnServiceOptions {
  name: string;
  logPath: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Default true (merge env into process.env); false to pass exactly `env`. */
  extendEnv?: boolean;
  /** Signal the kernel sends the leader when the spawning thread dies (default TERM). */
  parentDeathSignal?: 'TERM' | 'KILL' | 'QUIT' | 'INT';
}

// PR_SET_PDEATHSIG via setpriv: the kernel signals the service if the thread that spawned it dies
// without running any handler (e.g. a SIGKILLed vitest worker). Only the leader gets it, so it is
// SIGTERM by default: nginx's master then stops its workers (a SIGKILLed master would leave them
// serving), sshd and the registry just exit.
const SETPRIV = '/usr/bin/setpriv';
const haveSetpriv = existsSync(SETPRIV);

export async function spawnService(
  file: string,
  args: readonly string[],
  opts: SpawnServiceOptions,
): Promise<ServiceProcess> {
  hookExit();
  // execa's types only list fds 3..9, but a plain fd number is handed to child_process.spawn as is.
  const fd = openSync(opts.logPath, 'a') as 3;
  const [cmd, argv]: [string, string[]] = haveSetpriv
    ? [SETPRIV, ['--pdeathsig', opts.parentDeathSignal ?? 'TERM', '--', file, ...args]]
    : [file, [...args]];
  const spawn = () =>
    execa(cmd, argv, {
      cwd: opts.cwd,
      env: opts.env,
      extendEnv: opts.extendEnv ?? true,
      detached: true, // own process group, so the group can be killed as a whole
      cleanup: false, // we do our own (execa's cleanup does not apply to detached processes anyway)
      stdin: 'ignore',
      stdout: fd, // a file, not a pipe: nothing to drain, and grandchildren holding it cannot block us
      stderr: fd,
      reject: false,
    });
  let sub: ReturnType<typeof spawn>;
  try {
    sub = spawn();
  } finally {
    closeSync(fd); // the child has its own copy
  }
  const pid = sub.pid;
  let done = false;
  const exited = sub.then(
    (r) => {
      done = true;
      return { exitCode: r.exitCode, signal: r.signal };
    },
    () => {
      done = true;
      return {};
    },
  );
  if (pid === undefined) {
    // Spawn failed (e.g. ENOENT); the result carries the reason.
    const r = await sub;
    throw new Error(`${opts.name}: could not spawn ${file}: ${r.message ?? 'unknown error'}`);
  }
  const starttime = procInfo(pid)?.starttime;
  live.set(pid, { name: opts.name, starttime });
  let stopping: Promise<void> | undefined;

  const service: ServiceProcess = {
    name: opts.name,
    pid,
    logPath: opts.logPath,
    exited,
    hasExited: () => done,
    logTail: (max = 4000) => readTail(opts.logPath, max),
    tree: () => (done || !isAlive(pid, starttime) ? [] : [pid, ...descendants(pid).map((p) => p.pid)]),
    stop(stopOpts = {}) {
      stopping ??= (async () => {
        const procs = snapshot(pid, starttime);
        if (!done) signal(pid, stopOpts.signal ?? 'SIGTERM');
        const graceMs = stopOpts.graceMs ?? 5000;
        const inTime = await Promise.race([exited.then(() => true), delay(graceMs).then(() => false)]);
        if (!inTime) {
          killAll(snapshot(pid, starttime), 'SIGKILL');
          await exited;
        }
        // Whatever is left of the recorded tree and group (re-parented workers, setsid'd sessions).
        const left = [...procs, ...snapshot(pid, starttime)].filter((p) => p.pid !== pid);
        killAll(left, 'SIGKILL');
        await waitFor(() => left.every((p) => !isAlive(p.pid, p.starttime)), {
          what: `${opts.name} (pid ${pid}) and its children to exit`,
          timeoutMs: 5000,
          intervalMs: 20,
        });
        live.delete(pid);
      })();
      return stopping;
    },
  };
  return service;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function readTail(path: string, maxChars: number): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > maxChars ? `…${text.slice(-maxChars)}` : text;
  } catch {
    return '';
  }
}

/**
 * Waits until `ready()` holds, failing early (with the log tail) if the process exits first.
 * `onExit(log)` may turn the log into a more specific error (e.g. AddrInUseError).
 */
export async function waitUntilReady(
  svc: ServiceProcess,
  ready: () => boolean | Promise<boolean>,
  opts: { what: string; timeoutMs?: number; onExit?: (log: string) => Error | undefined },
): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (svc.hasExited()) {
          const info = await svc.exited;
          const log = svc.logTail(8000);
          const specific = opts.onExit?.(log);
          throw new StopWaiting(
            specific?.message ??
              `${svc.name} exited (code ${info.exitCode ?? '-'}, signal ${info.signal ?? '-'}) before ${opts.what}:\n${log}`,
            { cause: specific },
          );
        }
        return ready();
      },
      { what: opts.what, timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 50 },
    );
  } catch (err) {
    await svc.stop({ signal: 'SIGKILL', graceMs: 1000 }).catch(() => {});
    if (err instanceof StopWaiting && err.cause instanceof Error) throw err.cause;
    if (err instanceof StopWaiting) throw new Error(err.message);
    throw new Error(`${(err as Error).message}\n--- ${svc.name} log ---\n${svc.logTail(8000)}`, { cause: err });
  }
}
