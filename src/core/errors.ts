// One error family. Every error a person may see carries an exit code, a message for a person, an
// optional hint (what to do next) and the cause. Only src/cli/main.ts turns these into exit codes.

export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  lockHeld: 3,
  precondition: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
  /** Extra lines shown under the message (diagnosis, field errors, log tails). */
  details?: string[];
}

export abstract class DeployerError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  /** A stable machine-readable code, e.g. `config.invalid`, for `--json` output. */
  abstract readonly code: string;
  readonly hint: string | undefined;
  readonly details: string[];

  constructor(message: string, opts: ErrorDetails = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }
}

/** Bad command-line usage or an invalid argument (exit 2). */
export class UsageError extends DeployerError {
  readonly exitCode = ExitCode.usage;
  readonly code = 'usage';
}

export interface ConfigProblem {
  path: string;
  message: string;
}

/** The config file is unreadable or invalid; carries every problem at once (exit 2). */
export class ConfigError extends DeployerError {
  readonly exitCode = ExitCode.usage;
  readonly code = 'config.invalid';
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
    opts: ErrorDetails = {},
  ) {
    super(
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
      { ...opts, details: problems.map((p) => `${p.path}: ${p.message}`) },
    );
  }
}

/** A step of an executing plan failed (exit 1). */
export class StepFailedError extends DeployerError {
  readonly exitCode = ExitCode.stepFailed;
  readonly code: string;
  constructor(message: string, opts: ErrorDetails & { code?: string } = {}) {
    super(message, opts);
    this.code = opts.code ?? 'step.failed';
  }
}

/** Another run holds the lock (exit 3). */
export class LockHeldError extends DeployerError {
  readonly exitCode = ExitCode.lockHeld;
  readonly code = 'lock.held';
}

/** The command refused to start: unhealthy, untested, unknown revision, drift... (exit 4). */
export class PreconditionError extends DeployerError {
  readonly exitCode = ExitCode.precondition;
  readonly code: string;
  constructor(message: string, opts: ErrorDetails & { code?: string } = {}) {
    super(message, opts);
    this.code = opts.code ?? 'precondition';
  }
}

/** SIGINT/SIGTERM arrived; cleanup ran (exit 130). */
export class InterruptedError extends DeployerError {
  readonly exitCode = ExitCode.interrupted;
  readonly code = 'interrupted';
}

/**
 * The error an aborted run ends with, whatever the interrupted code threw: the InterruptedError the
 * signal was aborted with (src/cli/main.ts aborts with one), or one naming the reason.
 */
export function interruptedBy(signal: AbortSignal): InterruptedError {
  if (signal.reason instanceof InterruptedError) return signal.reason;
  const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'interrupted');
  return new InterruptedError(`interrupted (${why}); cleanup ran`, { hint: INTERRUPTED_HINT });
}

const INTERRUPTED_HINT = 'run the command again to finish';

/** The abort reason for a signal: what every adapter rejects with once it is interrupted. */
export function signalInterruption(sig: string): InterruptedError {
  return new InterruptedError(`interrupted (${sig}); cleanup ran`, { hint: INTERRUPTED_HINT });
}

export function isDeployerError(e: unknown): e is DeployerError {
  return e instanceof DeployerError;
}
