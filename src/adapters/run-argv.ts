import { spawn } from 'node:child_process';

// One local program from an argv (never a shell), its output collected, with a timeout and an
// abort signal. The load balancer's commands (nginx -t, reload) run on every switch, so this uses
// node:child_process directly instead of execa, whose ~100 modules would double the start-up of a
// command that otherwise takes tens of milliseconds (README, "Performance").

export interface ArgvRun {
  /** undefined when the program did not start or was killed by a signal. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** Why there is no exit code: spawn's error (ENOENT…), or the signal that killed it. */
  failure?: string;
  timedOut: boolean;
  aborted: boolean;
}

export interface ArgvOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** After SIGTERM (timeout or abort), how long the program has before SIGKILL. */
  killGraceMs?: number;
}

export function runArgv(argv: readonly string[], opts: ArgvOptions = {}): Promise<ArgvRun> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    if (!file) return resolve({ exitCode: undefined, stdout: '', stderr: '', failure: 'empty command', timedOut: false, aborted: false });
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    let aborted = false;
    let hard: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      hard ??= setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 2000);
    };
    const timer = opts.timeoutMs !== undefined ? setTimeout(() => ((timedOut = true), stop()), opts.timeoutMs) : undefined;
    const onAbort = () => ((aborted = true), stop());
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(hard);
      opts.signal?.removeEventListener('abort', onAbort);
      const text = (bs: Buffer[]) => Buffer.concat(bs).toString('utf8').replace(/\r?\n$/, '');
      resolve({
        // A program that never started reports a negative errno as its code: not an exit status.
        exitCode: spawnError ? undefined : code ?? undefined,
        stdout: text(out),
        stderr: text(err),
        ...(spawnError ? { failure: `${(spawnError as NodeJS.ErrnoException).code ?? 'error'}: ${spawnError.message}` } : sig ? { failure: `killed by ${sig}` } : {}),
        timedOut,
        aborted,
      });
    });
  });
}
