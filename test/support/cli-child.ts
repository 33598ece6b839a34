// The CLI from source as a child process a fault case can watch and signal: it waits for what the
// run shows (a line on stderr, a marker file) to reach a phase, never for a fixed time.
import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import type { CliResult } from './cli.js';
import { CLI_ENTRY, TSX_LOADER } from './test-image.js';
import { waitFor } from './wait.js';

export interface Running {
  child: ResultPromise;
  /** stderr so far */
  stderr(): string;
  /** Resolves once stderr contains `text` (fails if the CLI ends first). */
  waitForText(text: string): Promise<void>;
  /** Resolves once `path` exists (fails if the CLI ends first). */
  waitForFile(path: string): Promise<void>;
  result(): Promise<CliResult>;
}

export function startCli(args: string[], opts: { cwd: string; env?: Record<string, string> }): Running {
  const child = execa(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
    cwd: opts.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...opts.env },
    reject: false,
    timeout: 100_000,
    // kill('SIGTERM') must be one SIGTERM: execa's default SIGKILLs after 5 s, cutting cleanup short.
    forceKillAfterDelay: false,
    stdin: 'ignore',
  });
  let out = '';
  let ended = false;
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  void child.finally(() => (ended = true));
  const until = async (what: string, ok: () => boolean) => {
    await waitFor(() => {
      if (ok()) return true;
      if (ended) throw new Error(`the CLI ended before ${what}:\n${out}`);
      return false;
    }, { what, timeoutMs: 60_000, intervalMs: 20 });
  };
  return {
    child,
    stderr: () => out,
    waitForText: (text) => until(`it printed ${JSON.stringify(text)}`, () => out.includes(text)),
    waitForFile: (path) => until(`${path} existed`, () => existsSync(path)),
    async result() {
      const r = await child;
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
  };
}
