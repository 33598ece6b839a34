// The per-app switch lock on the first switch host: a directory created exclusively, holding
// owner.json. Every operator and CI job sees the same one. The adapter judges liveness only where it
// can (a holder on this machine); the decision what to do with a lock is made by the planners.

export interface LockOwner {
  /** Who ran it: `alice@laptop` or the CI job. */
  who: string;
  /** ISO time the lock was taken. */
  when: string;
  pid: number;
  /** Hostname of the machine the holder runs on. */
  host: string;
  revision: string;
  command: string;
  /** Kernel start time of the holder (Linux), so a reused pid is not mistaken for the holder. */
  pidStart?: number;
}

/** alive/dead: the holder runs on this machine and was checked; unknown: elsewhere, or no owner yet. */
export type HolderState = 'alive' | 'dead' | 'unknown';

export interface LockState {
  /** null when the lock directory exists without a readable owner.json (being taken, or a crash in between). */
  owner: LockOwner | null;
  holder: HolderState;
}

export type AcquireResult = { acquired: true; owner: LockOwner } | { acquired: false; state: LockState };

export interface SwitchLockPort {
  /** For people: `local:/var/lib/deployer/web-app/lock`. */
  readonly location: string;
  /** undefined when nobody holds the lock. Read-only. */
  inspect(): Promise<LockState | undefined>;
  acquire(req: { who: string; revision: string; command: string }): Promise<AcquireResult>;
  /** Removes the lock if it is still the given owner's (never someone else's). */
  release(owner: LockOwner): Promise<void>;
  /**
   * Breaks a lock whose owner (as read earlier) is `expected`; 'changed' when someone else holds it
   * now, 'absent' when it is gone already.
   */
  breakLock(expected: Pick<LockOwner, 'pid' | 'host' | 'when'> | null): Promise<'released' | 'changed' | 'absent'>;
}
