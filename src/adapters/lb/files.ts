import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { FileState, LbHost } from '../../ports/lb.js';

// The file operations of a load-balancer host, once for both kinds: the local machine (node:fs)
// and SSH (SFTP) each supply the primitives of one file system session; what a read, an atomic
// write (a temp file beside the target, owner and mode set on the open handle, fsync, rename), a
// remove or a mkdir means is decided here.

export const PERMISSION_BITS = 0o7777;

export type Like = Pick<FileState, 'mode' | 'uid' | 'gid'>;

export interface EntryStat {
  mode: number;
  uid: number;
  gid: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** An open file being written. */
export interface WriteHandle {
  write(content: Buffer): Promise<void>;
  owner(): Promise<{ uid: number; gid: number }>;
  chown(uid: number, gid: number): Promise<void>;
  chmod(mode: number): Promise<void>;
  /** Flushes to disk where the file system can. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FsSession {
  /** undefined when the path does not exist; `link` does not follow a symlink. */
  stat(path: string, link?: boolean): Promise<EntryStat | undefined>;
  readFile(path: string): Promise<Buffer>;
  /** Opens for writing with `mode` (before the umask); `exclusive` for a new temp file. */
  open(path: string, mode: number, exclusive: boolean): Promise<WriteHandle>;
  /** Renames `from` onto `to`, replacing it atomically. */
  replace(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** Resolves false when the directory already existed. */
  mkdirExclusive(path: string): Promise<boolean>;
  mkdirp(path: string): Promise<void>;
  /** Best effort: removes a temp file left by a failed write; never rejects. */
  discard(path: string): Promise<void>;
}

export interface FsBackend {
  /**
   * Runs `fn` on a session. `repeatable`: the operation may run again from the start (a read, a
   * whole-file replacement), so a backend whose session can drop (SSH) may reconnect and retry once.
   */
  withSession<T>(repeatable: boolean, fn: (fs: FsSession) => Promise<T>): Promise<T>;
  /** The error a failed operation becomes (`action`: "read /etc/nginx/…"). */
  fail(action: string, e: unknown): Error;
  /** Why a chown failed, for the message; and what to do about it. */
  chownReason(e: unknown): string;
  chownAdvice: string;
}

export type LbFileOps = Pick<LbHost, 'read' | 'writeFile' | 'writeAtomic' | 'rename' | 'remove' | 'mkdirExclusive' | 'mkdirp'>;

export function lbFileOps(b: FsBackend): LbFileOps {
  const writeThrough = async (fs: FsSession, path: string, content: Buffer, like: Like | undefined, exclusive: boolean) => {
    const mode = like ? like.mode & PERMISSION_BITS : 0o644;
    const fh = await fs.open(path, mode, exclusive);
    try {
      await fh.write(content);
      if (like) {
        const st = await fh.owner();
        if (st.uid !== like.uid || st.gid !== like.gid) {
          try {
            await fh.chown(like.uid, like.gid);
          } catch (e) {
            throw new Error(`cannot give ${path} the owner ${like.uid}:${like.gid} of the file it replaces (${b.chownReason(e)}); ${b.chownAdvice}`, { cause: e });
          }
        }
        // After chown (which may clear set-id bits), and exact regardless of the umask.
        await fh.chmod(mode);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  };

  return {
    async read(path) {
      try {
        return await b.withSession(true, async (fs) => {
          const st = await fs.stat(path);
          if (!st) return undefined;
          if (!st.isFile()) throw new Error(`${path} is not a regular file`);
          return { content: await fs.readFile(path), mode: st.mode & PERMISSION_BITS, uid: st.uid, gid: st.gid };
        });
      } catch (e) {
        throw b.fail(`read ${path}`, e);
      }
    },

    async writeFile(path, content, like) {
      try {
        await b.withSession(true, (fs) => writeThrough(fs, path, content, like, false));
      } catch (e) {
        throw b.fail(`write ${path}`, e);
      }
    },

    async writeAtomic(path, content, like) {
      const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.deployer-${randomBytes(6).toString('hex')}.tmp`);
      try {
        await b.withSession(true, async (fs) => {
          try {
            const current = like ?? (await fs.stat(path));
            await writeThrough(fs, tmp, content, current && { mode: current.mode, uid: current.uid, gid: current.gid }, true);
            await fs.replace(tmp, path);
          } catch (e) {
            await fs.discard(tmp);
            throw e;
          }
        });
      } catch (e) {
        throw b.fail(`write ${path} (atomically, through ${tmp})`, e);
      }
    },

    async rename(from, to) {
      try {
        await b.withSession(false, (fs) => fs.replace(from, to));
      } catch (e) {
        throw b.fail(`rename ${from} to ${to}`, e);
      }
    },

    async remove(path) {
      try {
        await b.withSession(true, async (fs) => {
          const st = await fs.stat(path, true);
          if (!st) return;
          // A directory only when empty (rmdir semantics), the same locally as over SFTP.
          if (st.isDirectory()) await fs.rmdir(path);
          else await fs.unlink(path);
        });
      } catch (e) {
        throw b.fail(`remove ${path}`, e);
      }
    },

    async mkdirExclusive(path) {
      try {
        return await b.withSession(false, (fs) => fs.mkdirExclusive(path));
      } catch (e) {
        throw b.fail(`create ${path}`, e);
      }
    },

    async mkdirp(path) {
      try {
        await b.withSession(true, (fs) => fs.mkdirp(path));
      } catch (e) {
        throw b.fail(`create ${path}`, e);
      }
    },
  };
}
