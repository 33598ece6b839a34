import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader by absolute URL: `--import tsx` would resolve from the cwd, which is a temp dir. */
const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the deployer CLI from source through tsx, like a Jenkins step would: no TTY, CI set,
 * colour off. `opts.env` is added to the environment.
 */
export async function runCli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number; input?: string }): Promise<CliResult> {
  const r = await execa(process.execPath, ['--import', TSX_LOADER, `${ROOT}src/cli/bin.ts`, ...args], {
    cwd: opts.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
  });
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Builds the CLI (tsconfig.build.json, as `npm run build` does) into a private copy inside the repo
 * (so node_modules resolve), never over dist/, which other test files run at the same time.
 * Returns the copy's bin/deployer.
 */
export async function privateBuild(name: string): Promise<{ bin: string; remove(): Promise<void> }> {
  const { copyFile, mkdir, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const dir = join(ROOT, `.private-build-${name}-${process.pid}`);
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: ROOT });
  await mkdir(join(dir, 'bin'), { recursive: true });
  await copyFile(join(ROOT, 'bin/deployer'), join(dir, 'bin/deployer'));
  return { bin: join(dir, 'bin/deployer'), remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Starts the CLI like runCli and resolves once its stderr contains `marker` (for a signal sent
 * mid-run); rejects if it ends first. `done` is its result.
 */
export async function startCliUntil(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }, marker: string): Promise<{ kill(signal: NodeJS.Signals): void; done: Promise<CliResult> }> {
  const child = execa(process.execPath, ['--import', TSX_LOADER, `${ROOT}src/cli/bin.ts`, ...args], {
    cwd: opts.cwd,
    env: { CI: 'true', NO_COLOR: '1', ...opts.env },
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
  const done = child.then((r) => ({ exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) }));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (stderr.includes(marker)) resolve();
    });
    void done.then(() => reject(new Error(`the CLI ended before printing ${JSON.stringify(marker)}:\n${stderr}`)));
  });
  return { kill: (signal) => child.kill(signal), done };
}
