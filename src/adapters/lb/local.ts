import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { connect } from 'node:net';
import { StepFailedError } from '../../core/errors.js';
import type { FileState, LbHost, RunResult } from '../../ports/lb.js';
import { runArgv } from '../run-argv.js';
import { requestOverStream } from './control-http.js';

// The load balancer on this machine: node:fs for files (a temp file beside the target, owner and mode
// set on the open descriptor, fsync, rename), argv for commands (never a shell: src/adapters/run-argv.ts).

const PERMISSION_BITS = 0o7777;

type Like = Pick<FileState, 'mode' | 'uid' | 'gid'>;

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function writeThrough(path: string, content: Buffer, like: Like | undefined, flags: 'w' | 'wx'): Promise<void> {
  const mode = like ? like.mode & PERMISSION_BITS : 0o644;
  const fh = await open(path, flags, mode);
  try {
    await fh.writeFile(content);
    if (like) {
      const st = await fh.stat();
      if (st.uid !== like.uid || st.gid !== like.gid) {
        try {
          await fh.chown(like.uid, like.gid);
        } catch (e) {
          throw new Error(`cannot give ${path} the owner ${like.uid}:${like.gid} of the file it replaces (${errno(e) ?? String(e)}); run as root or as the owner`, { cause: e });
        }
      }
      // After chown (which may clear set-id bits), and exact regardless of the umask.
      await fh.chmod(mode);
    }
    await fh.sync();
  } finally {
    await fh.close();
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

  return {
    name,
    async read(path) {
      try {
        const st = await statOrUndefined(path);
        if (!st) return undefined;
        if (!st.isFile()) throw new Error(`${path} is not a regular file`);
        return { content: await readFile(path), mode: st.mode & PERMISSION_BITS, uid: st.uid, gid: st.gid };
      } catch (e) {
        throw fail(`read ${path}`, e);
      }
    },
    async writeFile(path, content, like) {
      try {
        await writeThrough(path, content, like, 'w');
      } catch (e) {
        throw fail(`write ${path}`, e);
      }
    },
    async writeAtomic(path, content, like) {
      const tmp = join(dirname(path), `.${basename(path)}.deployer-${randomBytes(6).toString('hex')}.tmp`);
      try {
        const current = like ?? (await statOrUndefined(path));
        await writeThrough(tmp, content, current && { mode: current.mode, uid: current.uid, gid: current.gid }, 'wx');
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true }).catch(() => {});
        throw fail(`write ${path} (atomically, through ${tmp})`, e);
      }
    },
    async rename(from, to) {
      try {
        await rename(from, to);
      } catch (e) {
        throw fail(`rename ${from} to ${to}`, e);
      }
    },
    async remove(path) {
      try {
        const st = await lstat(path).catch((e) => {
          if (errno(e) === 'ENOENT') return undefined;
          throw e;
        });
        if (!st) return;
        // A directory only when empty (rmdir semantics), as over SFTP.
        if (st.isDirectory()) await rmdir(path);
        else await unlink(path);
      } catch (e) {
        throw fail(`remove ${path}`, e);
      }
    },
    async mkdirExclusive(path) {
      try {
        await mkdir(path, { mode: 0o755 });
        return true;
      } catch (e) {
        if (errno(e) === 'EEXIST') return false;
        throw fail(`create ${path}`, e);
      }
    },
    async mkdirp(path) {
      try {
        await mkdir(path, { recursive: true, mode: 0o755 });
      } catch (e) {
        throw fail(`create ${path}`, errno(e) === 'ENOENT' ? await realMkdirError(path, e) : e);
      }
    },
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
