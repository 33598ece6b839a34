import type { LbHosts } from '../../ports/lb-hosts.js';
import type { AcquireResult, HolderState, LockOwner, LockState, SwitchLockPort } from '../../ports/lock.js';
import { processAlive, processStartTime } from './process.js';

// The switch lock: `mkdir <stateDir>/<app>/lock` (atomic, fails if it exists, locally and over
// SFTP), then owner.json inside it, written atomically. A holder on this machine is checked by pid
// and start time; on another machine its liveness cannot be known, so it is reported, not judged.

export interface LockLocation {
  host: string;
  dir: string;
  lock: string;
}

export interface LbLockOptions {
  hosts: LbHosts;
  /** Resolved lazily: a command without a switch section never asks. */
  location: () => LockLocation;
  hostname: string;
  pid: number;
  now: () => Date;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== 'number' || typeof o.host !== 'string' || typeof o.when !== 'string') return null;
    return {
      who: String(o.who ?? '?'),
      when: o.when,
      pid: o.pid,
      host: o.host,
      revision: String(o.revision ?? '?'),
      command: String(o.command ?? '?'),
      ...(typeof o.pidStart === 'number' ? { pidStart: o.pidStart } : {}),
    };
  } catch {
    return null;
  }
}

const sameOwner = (a: Pick<LockOwner, 'pid' | 'host' | 'when'> | null, b: LockOwner | null) =>
  a === null || b === null ? a === b : a.pid === b.pid && a.host === b.host && a.when === b.when;

export function lbLock(opts: LbLockOptions): SwitchLockPort {
  const where = () => {
    const loc = opts.location();
    return { loc, host: opts.hosts.get(loc.host), ownerPath: `${loc.lock}/owner.json` };
  };

  const holderOf = (owner: LockOwner | null): HolderState => {
    if (!owner || owner.host !== opts.hostname) return 'unknown';
    return processAlive(owner.pid, owner.pidStart) ? 'alive' : 'dead';
  };

  /** Reads the lock: undefined when there is none; owner null when the directory has no owner yet. */
  const read = async (): Promise<LockState | undefined> => {
    const { loc, host, ownerPath } = where();
    const file = await host.read(ownerPath);
    if (file) {
      const owner = parseOwner(file.content.toString('utf8'));
      return { owner, holder: holderOf(owner) };
    }
    const exists = await host.run(['test', '-d', loc.lock]);
    return exists.exitCode === 0 ? { owner: null, holder: 'unknown' } : undefined;
  };

  const removeLock = async () => {
    const { loc, host, ownerPath } = where();
    await host.remove(ownerPath);
    await host.remove(loc.lock);
  };

  return {
    get location() {
      const loc = opts.location();
      return `${loc.host}:${loc.lock}`;
    },
    inspect: read,
    async acquire(req): Promise<AcquireResult> {
      const { loc, host, ownerPath } = where();
      await host.mkdirp(loc.dir);
      if (!(await host.mkdirExclusive(loc.lock))) {
        // The holder writes owner.json right after its mkdir: give it a moment, to name it.
        let state = await read();
        for (let i = 0; i < 10 && state && !state.owner; i++) {
          await new Promise((r) => setTimeout(r, 100));
          state = await read();
        }
        return { acquired: false, state: state ?? { owner: null, holder: 'unknown' } };
      }
      const pidStart = processStartTime(opts.pid);
      const owner: LockOwner = {
        who: req.who,
        when: opts.now().toISOString(),
        pid: opts.pid,
        host: opts.hostname,
        revision: req.revision,
        command: req.command,
        ...(pidStart !== undefined ? { pidStart } : {}),
      };
      try {
        await host.writeAtomic(ownerPath, Buffer.from(`${JSON.stringify(owner, null, 2)}\n`));
      } catch (e) {
        await host.remove(loc.lock).catch(() => {});
        throw e;
      }
      return { acquired: true, owner };
    },
    async release(owner) {
      const current = await read();
      if (current && sameOwner(owner, current.owner)) await removeLock();
    },
    async breakLock(expected) {
      const current = await read();
      if (!current) return 'absent';
      if (!sameOwner(expected, current.owner)) return 'changed';
      await removeLock();
      return 'released';
    },
  };
}
