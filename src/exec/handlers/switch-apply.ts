import { PreconditionError, StepFailedError } from '../../core/errors.js';
import { shadowTree } from '../../core/nginx/include-tree.js';
import { displayArgv, type TestPlan } from '../../core/nginx/test-config.js';
import { gatherConfFacts } from '../../core/nginx/gather-conf.js';
import { sha256Hex } from '../../core/switch/plan-hash.js';
import type { FileState, LbHost, RunResult } from '../../ports/lb.js';
import type { ControlPut } from '../../core/steps/switch.js';
import { formatControlList, parseControlAnswer } from '../../core/nginx/dynamic.js';
import type { LbHosts } from '../../ports/lb-hosts.js';
import type { Log } from '../../ports/log.js';

// Replacing an nginx include file on several hosts, all or nothing:
//   0. read the live file everywhere (its bytes, owner and mode: what a restore puts back);
//   1. write the new file beside the live one on every host and run the test against a config that
//      uses it (see src/core/nginx/test-config.ts); any failure removes the staged files: nothing
//      live was touched;
//   2. rename into place and reload, host by host; any failure puts the previous bytes back
//      (atomically, same owner and mode) on every host already renamed, reloads them, and fails
//      naming the host and the reason.
// The rename is atomic, so a process killed at any point leaves each file whole (old or new).

export interface FileTxnItem {
  host: string;
  path: string;
  staged: string;
  after: string;
  test: TestPlan;
  reload: string[];
  /** Instead of reloading: PUT this list to the running nginx's control endpoint (switch.method dynamic). */
  control?: ControlPut;
  /** Created with mode 0700 before the test: nginx binds the control socket there on reload. */
  socketDir?: string;
  /** When set (also to null = "did not exist"), the live file must still be what was planned. */
  expectSha256?: string | null;
}

export interface Previous {
  host: string;
  path: string;
  reload: string[];
  /** undefined: the file did not exist (a restore removes it). */
  state: FileState | undefined;
  /** Dynamic mode: the list the control endpoint held before; a restore PUTs it back instead of reloading. */
  control?: ControlPut;
  /**
   * false: the new file was renamed into place but nginx never loaded it (its reload exited
   * non-zero, so the master kept the previous configuration): putting the bytes back is the whole
   * undo, no reload. 'unknown': the reload was stopped (interrupted, timed out, the connection
   * lost) and nginx may have got the signal: a restore reloads, so file and nginx agree again.
   */
  reloaded?: boolean | 'unknown';
}

const COMMAND_TIMEOUT_MS = 60_000;

function tail(r: RunResult): string[] {
  const text = `${r.stderr}\n${r.stdout}`.trim();
  return text ? text.split('\n').slice(-12).map((l) => `  ${l}`) : [];
}

async function runChecked(host: LbHost, argv: readonly string[], what: string, signal?: AbortSignal): Promise<void> {
  const r = await host.run(argv, { timeoutMs: COMMAND_TIMEOUT_MS, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) {
    throw new HostFailure(host.name, `${what} \`${displayArgv(argv)}\` exited ${r.exitCode}`, tail(r));
  }
}

/** PUTs a backend list to a host's control endpoint; it must answer with that very list. */
async function putControl(host: LbHost, put: ControlPut): Promise<void> {
  let r;
  try {
    r = await host.control(put.socket, { method: 'PUT', path: '/backends', body: put.body, timeoutMs: 5000 });
  } catch (e) {
    throw new HostFailure(host.name, `the control endpoint ${put.socket} failed: ${innerReason(e)} (is nginx running with the Lua module and this file loaded?)`);
  }
  const held = r.status === 200 ? parseControlAnswer(r.body) : undefined;
  if (!held || held.source !== 'dict' || formatControlList(held.lists) !== put.body) {
    throw new HostFailure(host.name, `the control endpoint ${put.socket} answered ${r.status} without the list it was sent`, r.body.trim().split('\n').slice(0, 6).map((l) => `  ${l}`));
  }
}

/** What the control endpoint serves now, as a body that PUTs it back. */
async function getControl(host: LbHost, socket: string): Promise<ControlPut> {
  let r;
  try {
    r = await host.control(socket, { method: 'GET', path: '/backends', timeoutMs: 5000 });
  } catch (e) {
    throw new HostFailure(host.name, `the control endpoint ${socket} failed: ${innerReason(e)}`);
  }
  const held = r.status === 200 ? parseControlAnswer(r.body) : undefined;
  if (!held) throw new HostFailure(host.name, `the control endpoint ${socket} answered ${r.status}, not a backend list`);
  return { socket, body: formatControlList(held.lists) };
}

/** Makes the running nginx use what was just renamed into place: a reload, or a control update. */
async function activate(host: LbHost, p: { reload: readonly string[]; control?: ControlPut | undefined }, track?: Previous, signal?: AbortSignal): Promise<void> {
  if (p.control) {
    try {
      await putControl(host, p.control);
    } catch (e) {
      // Refused before a byte was sent: nginx holds what it held. Anything later may have landed.
      if (track && !(e instanceof HostFailure && /ENOENT|ECONNREFUSED|open failed/.test(e.reason))) track.reloaded = 'unknown';
      throw e;
    }
    return;
  }
  if (track && signal) return reload(host, p.reload, track, signal);
  await runChecked(host, p.reload, 'reload');
}

export class HostFailure extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
    readonly output: string[] = [],
  ) {
    super(`${host}: ${reason}`);
  }
}

/** The adapter's own reason (its error names the host and request again). */
const innerReason = (e: unknown): string => {
  const inner = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return inner instanceof Error ? inner.message : String(inner);
};

/** The live file is no longer what the plan was made from (another switch, a hand edit). */
class ChangedUnderUs extends HostFailure {}
const FILE_CHANGED = 'switch.file-changed';

const changedReason = (path: string) => `${path} changed since this plan was made (another switch or a manual edit); it was left as it is`;

async function expectUnchanged(host: LbHost, item: FileTxnItem): Promise<void> {
  const state = await host.read(item.path);
  if ((state ? sha256Hex(state.content) : null) !== item.expectSha256) throw new ChangedUnderUs(host.name, changedReason(item.path));
}

function asHostFailure(host: string, e: unknown): HostFailure {
  if (e instanceof HostFailure) return e;
  return new HostFailure(host, e instanceof Error ? e.message : String(e));
}

/** Runs the item's test with the staged file in place of the live one. */
async function testStaged(host: LbHost, item: FileTxnItem, signal: AbortSignal): Promise<void> {
  if (item.test.mode === 'command') return runChecked(host, item.test.argv, 'test', signal);
  if (item.test.mode === 'unsupported') throw new HostFailure(host.name, `the test command \`${displayArgv(item.test.argv)}\` runs neither nginx nor names {staged}, so it cannot test the staged file`);
  const plan = shadowTree(item.test.main, item.path, item.staged, await gatherConfFacts(host, item.test.main, item.path));
  if (!plan.ok) throw new HostFailure(host.name, plan.problem);
  const written: string[] = [];
  try {
    for (const f of plan.files) {
      // A shadow gets the owner and mode of the file it copies (configs may be private).
      const original = await host.read(f.of);
      written.push(f.path);
      await host.writeFile(f.path, Buffer.from(f.text), original);
    }
    await runChecked(host, item.test.argv, 'test', signal);
  } finally {
    for (const f of written) await host.remove(f).catch(() => {});
  }
}

/** Runs the reload; when it did not run to an exit status of its own, nginx's state is unknown. */
async function reload(host: LbHost, argv: readonly string[], p: Previous, signal: AbortSignal): Promise<void> {
  let r: RunResult;
  try {
    r = await host.run(argv, { timeoutMs: COMMAND_TIMEOUT_MS, signal });
  } catch (e) {
    p.reloaded = 'unknown';
    throw e;
  }
  // Killed by a signal (128+n): it may have signalled nginx before it died.
  if (r.exitCode >= 128) p.reloaded = 'unknown';
  if (r.exitCode !== 0) throw new HostFailure(host.name, `reload \`${displayArgv(argv)}\` exited ${r.exitCode}`, tail(r));
}

export interface RestoreOutcome {
  /** One line per host (and the output of what failed), for the error's details. */
  lines: string[];
  /** Hosts whose file could not be put back (these need a person). */
  notRestored: string[];
  /** Hosts whose file was put back but whose nginx could not be reloaded with it. */
  notReloaded: string[];
}

/**
 * Puts the previous bytes back (or removes a file that did not exist) on each host, and reloads
 * where nginx had loaded the new file. Each line says exactly what happened: the file and the
 * reload are reported apart, so a byte-identical file is never called a failed restore.
 */
export async function restoreAll(lb: Pick<LbHosts, 'get'>, previous: readonly Previous[], log: Log): Promise<RestoreOutcome> {
  const out: RestoreOutcome = { lines: [], notRestored: [], notReloaded: [] };
  for (const p of previous) {
    const host = lb.get(p.host);
    const back = p.state ? 'put back (byte-identical to before)' : 'removed again (it did not exist before)';
    try {
      if (p.state) await host.writeAtomic(p.path, p.state.content, p.state);
      else await host.remove(p.path);
    } catch (e) {
      const f = asHostFailure(p.host, e);
      log.warn(`restoring ${p.host}:${p.path} failed: ${f.reason}`);
      out.notRestored.push(p.host);
      out.lines.push(`${p.host}: RESTORE FAILED for ${p.path}: ${f.reason} — it still holds the new file; fix this host by hand`, ...f.output);
      continue;
    }
    if (p.reloaded === false) {
      out.lines.push(`${p.host}: ${p.path} ${back}; nginx never loaded the new file, so it was not reloaded`);
      continue;
    }
    try {
      await activate(host, p);
      out.lines.push(`${p.host}: ${p.path} ${back} and ${p.control ? 'the previous backends PUT back through the control endpoint (no reload)' : 'nginx reloaded'}`);
    } catch (e) {
      const f = asHostFailure(p.host, e);
      log.warn(`reloading ${p.host} after restoring ${p.path} failed: ${f.reason}`);
      out.notReloaded.push(p.host);
      out.lines.push(`${p.host}: ${p.path} ${back}, but reloading nginx failed: ${f.reason} — nginx keeps the new configuration until it is reloaded`, ...f.output);
    }
  }
  return out;
}

/** The end of a failure headline: what the restore achieved, in one clause. */
export function restoreSummary(r: RestoreOutcome): string {
  if (r.notRestored.length) return `restoring the previous files FAILED on ${r.notRestored.join(', ')}`;
  if (r.notReloaded.length) return `the previous files were put back, but nginx could not be reloaded on ${r.notReloaded.join(', ')}`;
  return 'the previous files were restored';
}

/** Removes the staged copies; lines for those that could not be (a host that cannot be reached). */
async function removeStaged(lb: Pick<LbHosts, 'get'>, items: readonly FileTxnItem[]): Promise<string[]> {
  const left: string[] = [];
  for (const item of items) {
    try {
      await lb.get(item.host).remove(item.staged);
    } catch (e) {
      left.push(`${item.host}: the staged copy ${item.staged} could not be removed (${asHostFailure(item.host, e).reason}); it is never loaded, and the next switch replaces it`);
    }
  }
  return left;
}

export interface ApplyResult {
  /** What each changed host had before, for a later switch back. */
  previous: Previous[];
}

export async function applyFiles(
  lb: Pick<LbHosts, 'get'>,
  items: readonly FileTxnItem[],
  opts: { what: string; log: Log; signal: AbortSignal },
): Promise<ApplyResult> {
  const { log } = opts;
  // 0. What is live now, everywhere, before anything is written.
  const previous: Previous[] = [];
  for (const item of items) {
    const host = lb.get(item.host);
    const state = await host.read(item.path);
    if (item.expectSha256 !== undefined) {
      const now = state ? sha256Hex(state.content) : null;
      if (now !== item.expectSha256) {
        // What the plan was made against is gone: a precondition (exit 4), not a held lock.
        throw new PreconditionError(`${item.host}:${item.path} changed since this plan was made (another switch or a manual edit); nothing was changed`, {
          code: FILE_CHANGED,
          hint: 'run the command again to plan against what is live now',
        });
      }
    }
    let control: ControlPut | undefined;
    if (item.control) {
      try {
        control = await getControl(host, item.control.socket);
      } catch (e) {
        const f = asHostFailure(item.host, e);
        throw new StepFailedError(`${opts.what}: ${f.reason}; nothing was changed on any host`, { code: 'nginx.control-failed', details: f.output, hint: 'check that nginx runs with the file loaded (`nginx -s reload` once), or set switch.method: reload', cause: e });
      }
    }
    previous.push({ host: item.host, path: item.path, reload: item.reload, state, ...(control ? { control } : {}) });
  }

  // 1. Stage and test on every host.
  const staged: FileTxnItem[] = [];
  try {
    for (const item of items) {
      const host = lb.get(item.host);
      const prev = previous.find((p) => p.host === item.host && p.path === item.path)!.state;
      log.progress(`${item.host}: staging ${item.staged} and testing`);
      staged.push(item);
      try {
        if (item.socketDir) {
          await runChecked(host, ['mkdir', '-p', item.socketDir], 'create the control socket directory');
          await runChecked(host, ['chmod', '700', item.socketDir], 'restrict the control socket directory');
        }
        await host.writeFile(item.staged, Buffer.from(item.after), prev);
        await testStaged(host, item, opts.signal);
      } catch (e) {
        throw asHostFailure(item.host, e);
      }
      if (opts.signal.aborted) throw new HostFailure(item.host, 'interrupted before anything went live');
    }
  } catch (e) {
    const left = await removeStaged(lb, staged);
    const f = asHostFailure('?', e);
    throw new StepFailedError(`${opts.what}: ${f.host} failed the test; nothing went live on any host`, {
      code: 'nginx.test-failed',
      details: [f.reason, ...f.output, `every host still has its previous file (byte-identical)${left.length ? '' : '; staged files removed'}`, ...left],
      hint: f.output.some((l) => /unknown directive "(lua_|balancer_by_lua|content_by_lua)/.test(l))
        ? `switch.method dynamic needs nginx's Lua module on ${f.host}: install Debian's libnginx-mod-http-lua (it loads itself through modules-enabled), or set switch.method: reload`
        : 'fix the cause shown above and run the command again',
      cause: e,
    });
  }

  // 2. Rename into place and reload, host by host; undo everything on any failure.
  const touched: Previous[] = [];
  try {
    for (const item of items) {
      const host = lb.get(item.host);
      touched.push({ ...previous.find((p) => p.host === item.host && p.path === item.path)! });
      log.progress(`${item.host}: rename into place and reload`);
      try {
        // Checked again just before the rename: a hand edit made while the test ran would otherwise
        // be overwritten without a word (the window left is the rename itself).
        if (item.expectSha256 !== undefined) await expectUnchanged(host, item);
        await host.rename(item.staged, item.path);
        touched.at(-1)!.reloaded = false;
        await activate(host, item, touched.at(-1)!, opts.signal);
        touched.at(-1)!.reloaded = true;
      } catch (e) {
        throw asHostFailure(item.host, e);
      }
    }
    if (opts.signal.aborted) throw new HostFailure(items.at(-1)!.host, 'interrupted');
  } catch (e) {
    const f = asHostFailure('?', e);
    // A rename that failed left the live file untouched: nothing to put back there.
    if (touched.at(-1)?.reloaded === undefined) touched.pop();
    const restored = await restoreAll(lb, touched, log);
    const left = await removeStaged(lb, items);
    restored.lines.push(...left);
    if (e instanceof ChangedUnderUs) {
      throw new PreconditionError(`${f.host}: ${f.reason}; ${touched.length ? restoreSummary(restored) : 'nothing went live on any host'}`, {
        code: FILE_CHANGED,
        details: restored.lines,
        hint: 'run the command again to plan against what is live now',
      });
    }
    throw new StepFailedError(`${opts.what}: ${f.host} failed: ${f.reason}; ${restoreSummary(restored)}`, {
      code: 'nginx.apply-failed',
      details: [...f.output, ...restored.lines],
      hint: 'fix the cause shown above and run the command again',
      cause: e,
    });
  }
  return { previous };
}
