import type { HistoryEntry } from '../../ports/history.js';
import type { LockOwner } from '../../ports/lock.js';
import type { TestPlan } from '../nginx/test-config.js';
import type { StepBase } from '../plan.js';

// Steps of switch, rollback, lock release, and the preview file update that deploy/destroy/gc append.

/** One host's part of replacing an nginx include file (two-phase: stage + test everywhere, then rename + reload everywhere). */
export interface HostFileChange {
  host: string;
  path: string;
  /** Beside the live file, under a name no include glob matches. */
  staged: string;
  /** sha256 (hex) of the bytes read when planning; null when the file did not exist. Apply refuses if it changed since. */
  beforeSha256: string | null;
  after: string;
  test: TestPlan;
  reload: string[];
  /**
   * switch.method dynamic, when the running nginx already has the control endpoint: instead of
   * `reload`, PUT `body` (the backend list) to the socket; workers are not touched.
   */
  control?: ControlPut;
  /** switch.method dynamic: the control socket's directory, created (mode 0700) before the test. */
  socketDir?: string;
}

export interface ControlPut {
  socket: string;
  body: string;
}

/** Take the per-app switch lock on the first switch host; released when the command ends (any path). */
export interface SwitchLockStep extends StepBase {
  kind: 'switch.lock';
  app: string;
  host: string;
  path: string;
  revision: string;
  command: string;
  who: string;
}

/** Point the production upstream at a revision's backends on every host, all or nothing. */
export interface UpstreamSwitchStep extends StepBase {
  kind: 'nginx.switch-upstream';
  revision: string;
  changes: HostFileChange[];
}

/** After `nginx -s reload` old workers answer for about 100 ms more: a second of right answers proves they are gone. */
export const RELOAD_STABLE_MS = 1000;

export interface VerifyProbe {
  host: string;
  url: string;
  header: string;
  timeoutMs: number;
}

/** Request the verify URL through every host until it serves `revision`; else switch back and record it. */
export interface SwitchVerifyStep extends StepBase {
  kind: 'switch.verify';
  revision: string;
  previous: string | null;
  /** The id of the nginx.switch-upstream step whose previous files a failure restores. */
  switchStep: string;
  probes: VerifyProbe[];
  /**
   * How long right answers must last. After a reload old workers keep answering for a moment; after
   * a control update every worker reads the new list on its next request, so one answer is proof.
   */
  stableMs: number;
  /** Recorded as an `auto-revert` entry when verification fails and the switch is undone. */
  revert: Omit<HistoryEntry, 'at' | 'action' | 'from' | 'to'>;
  /**
   * The files already named `revision` before this run (a switch killed after its rename): the run
   * only reloads, verifies and records, so a failure has nothing of its own to switch back.
   */
  repair?: boolean;
}

/** Append the switch to the history beside the lock. */
export interface SwitchRecordStep extends StepBase {
  kind: 'switch.record';
  host: string;
  path: string;
  entry: Omit<HistoryEntry, 'at'>;
}

/** The owner as the lock file stated it when planning; release refuses if it changed since. */
export type LockOwnerSnapshot = Pick<LockOwner, 'who' | 'when' | 'pid' | 'host' | 'revision'>;

/** `deployer lock release`: break a lock (stale, or forced). */
export interface LockReleaseStep extends StepBase {
  kind: 'switch.release-lock';
  host: string;
  path: string;
  owner: LockOwnerSnapshot | null;
}

export interface PreviewHostTarget {
  host: string;
  path: string;
  staged: string;
  test: TestPlan;
  reload: string[];
  /** Base URL reaching this host's preview listener (the Host header picks the environment). */
  verifyUrl?: string;
}

/**
 * Rewrite `switch.previewFile` on every host: one server block per live environment, built from the
 * scheduler's view at apply time (an environment's backends are only known once it is deployed),
 * under the switch lock so concurrent deploys do not lose each other's entries.
 */
export interface PreviewUpdateStep extends StepBase {
  kind: 'nginx.update-preview';
  app: string;
  domain: string;
  listen: string;
  /** Revisions whose hostnames must serve them afterwards (verified). */
  add: string[];
  /** Revisions whose hostnames go away (their environments are being removed). */
  remove: string[];
  hosts: PreviewHostTarget[];
  lock: { host: string; path: string; who: string };
  verifyTimeoutMs: number;
  header: string;
}

export type SwitchStep =
  | SwitchLockStep
  | UpstreamSwitchStep
  | SwitchVerifyStep
  | SwitchRecordStep
  | LockReleaseStep
  | PreviewUpdateStep;
