import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';

// git is started with node:child_process directly, not execa: `deployer changes` is mostly start-up,
// and execa with its dependencies took ~70 ms of it to load (README, "Performance"). The argv is an
// array and no shell is involved, so revisions and paths from users are never parsed as commands.

/** A git that exited non-zero (or could not start): its exit code and what it said. */
export class GitFailure extends Error {
  constructor(readonly args: readonly string[], readonly exitCode: number | null, readonly stderr: string, cause?: unknown) {
    super(`git ${args[0] ?? ''} failed${exitCode === null ? '' : ` (exit ${exitCode})`}${stderr ? `: ${stderr.split('\n')[0]}` : ''}`, { cause });
    this.name = 'GitFailure';
  }
}

export interface GitRunOptions {
  cwd: string;
  env: Record<string, string>;
  signal?: AbortSignal;
  maxBuffer: number;
}

function start(args: readonly string[], opts: Omit<GitRunOptions, 'maxBuffer'>): ChildProcess {
  return spawn('git', args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGTERM' as const } : {}),
  });
}

function collectStderr(proc: ChildProcess): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  proc.stderr!.on('data', (c: Buffer) => {
    // stderr is only ever a message: keep the first 64 KiB.
    if (size < 65536) chunks.push(c);
    size += c.length;
  });
  return () => Buffer.concat(chunks).toString('utf8').trim();
}

/** Runs git to completion; resolves its whole stdout, or rejects with a GitFailure (or the abort's error). */
export function runGit(args: readonly string[], opts: GitRunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const proc = start(args, opts);
    const stderr = collectStderr(proc);
    const out: Buffer[] = [];
    let size = 0;
    let failed: Error | undefined;
    proc.stdout!.on('data', (c: Buffer) => {
      size += c.length;
      if (size > opts.maxBuffer && !failed) {
        failed = new GitFailure(args, null, `its output passed ${opts.maxBuffer} bytes`);
        proc.kill();
      }
      if (!failed) out.push(c);
    });
    proc.on('error', (e) => {
      failed ??= opts.signal?.aborted ? e : new GitFailure(args, null, e.message, e);
    });
    proc.on('close', (code) => {
      if (failed) return reject(failed);
      if (code !== 0) return reject(new GitFailure(args, code, stderr()));
      resolve(Buffer.concat(out));
    });
  });
}

/** Runs git with its stdout streamed; the stream ends only after git exited 0, else it errors with `onFail`'s error. */
export function streamGit(args: readonly string[], opts: Omit<GitRunOptions, 'maxBuffer'>, onFail: (e: GitFailure | Error) => Error): Readable {
  const out = new PassThrough();
  const proc = start(args, opts);
  const stderr = collectStderr(proc);
  let failed: Error | undefined;
  proc.stdout!.pipe(out, { end: false });
  // A reader that gives up (the build failed elsewhere) stops git too.
  out.on('close', () => {
    if (proc.exitCode === null) proc.kill();
  });
  proc.on('error', (e) => {
    failed ??= opts.signal?.aborted ? e : new GitFailure(args, null, e.message, e);
  });
  proc.on('close', (code) => {
    if (failed) return out.destroy(onFail(failed));
    if (code !== 0) return out.destroy(onFail(new GitFailure(args, code, stderr())));
    out.end();
  });
  return out;
}
