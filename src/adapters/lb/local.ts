import { lstat, mkdir, open, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { connect } from 'node:net';
import { StepFailedError } from '../../core/errors.js';
import type { LbHost, RunResult } from '../../ports/lb.js';
import { runArgv } from '../run-argv.js';
import { requestOverStream } from './control-http.js';
import { lbFileOps, type FsSession } from './files.js';

// The load balancer on this machine: node:fs under the shared file operations (./files.ts), argv
// for commands (never a shell: src/adapters/run-argv.ts).

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

async function statOrUndefined(path: string, link = false) {
  try {
    return await (link ? lstat(path) : stat(path));
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Node's recursive mkdir reports a failure on a read-only (or otherwise refusing) file system as
 * ENOENT; creating each missing component in turn gives the real error (EROFS, EACCES, ENOSPC).
 */
async function realMkdirError(path: string, fallback: unknown): Promise<unknown> {
  const missing: string[] = [];
  for (let p = path; !(await statOrUndefined(p)) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
  for (const p of missing) {
    try {
      await mkdir(p, { mode: 0o755 });
    } catch (e) {
      if (errno(e) !== 'EEXIST') return e;
    }
  }
  return fallback;
}

export function localLbHost(name = 'local'): LbHost {
  const fail = (action: string, e: unknown): Error =>
    new StepFailedError(`${name}: ${action} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, code: 'lb.local' });

  const session: FsSession = {
    stat: (path, link) => statOrUndefined(path, link),
    readFile: (path) => readFile(path),
    async open(path, mode, exclusive) {
      const fh = await open(path, exclusive ? 'wx' : 'w', mode);
      return {
        write: (content) => fh.writeFile(content),
        owner: () => fh.stat(),
        chown: (uid, gid) => fh.chown(uid, gid),
        chmod: (m) => fh.chmod(m),
        sync: () => fh.sync(),
        close: () => fh.close(),
      };
    },
    replace: (from, to) => rename(from, to),
    unlink: (path) => unlink(path),
    rmdir: (path) => rmdir(path),
    async mkdirExclusive(path) {
      try {
        await mkdir(path, { mode: 0o755 });
        return true;
      } catch (e) {
        if (errno(e) === 'EEXIST') return false;
        throw e;
      }
    },
    async mkdirp(path) {
      try {
        await mkdir(path, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw errno(e) === 'ENOENT' ? await realMkdirError(path, e) : e;
      }
    },
    discard: (path) => rm(path, { force: true }).catch(() => {}),
  };

  return {
    name,
    ...lbFileOps({
      withSession: (_repeatable, fn) => fn(session),
      fail,
      chownReason: (e) => errno(e) ?? String(e),
      chownAdvice: 'run as root or as the owner',
    }),
    async run(argv, opts = {}): Promise<RunResult> {
      const r = await runArgv(argv, {
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.aborted && opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('interrupted');
      if (r.exitCode === undefined) {
        // Not started (ENOENT) or killed: say so instead of inventing an exit code.
        throw fail(`\`${argv.join(' ')}\``, new Error(r.timedOut ? `timed out after ${opts.timeoutMs} ms` : r.failure ?? 'no exit status'));
      }
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    async control(socket, req) {
      try {
        return await requestOverStream(connect({ path: socket }), req);
      } catch (e) {
        throw fail(`control request to ${socket}`, e);
      }
    },
    async close() {},
  };
}
