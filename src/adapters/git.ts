import { PassThrough, type Readable } from 'node:stream';
import { batches } from '../core/build/paths.js';
import { parseRawDiff } from '../core/changes/git-raw.js';
import { PreconditionError, StepFailedError, UsageError } from '../core/errors.js';
import type { GitPort } from '../ports/git.js';
import { abortedOr } from './abort.js';
import { GitFailure, runGit, streamGit } from './git-run.js';

const SHA_RE = /^[0-9a-f]{40}$/;

const MAX_BUFFER = 512 * 1024 * 1024;

// Every path handed to git is literal: a tracked file named `:!public` or `:(glob)x` must name that
// file, never act as pathspec magic (which would copy everything outside public/ into a delta).
const GIT_ENV = { GIT_LITERAL_PATHSPECS: '1' } as const;

// With a signal, an interrupt kills the running git and the call rejects with the signal's reason
// (the interruption, exit 130: src/adapters/abort.ts), never node's AbortError.
async function gitBytes(cwd: string, args: string[], signal?: AbortSignal): Promise<Buffer> {
  try {
    return await runGit(args, { cwd, maxBuffer: MAX_BUFFER, env: GIT_ENV, ...(signal ? { signal } : {}) });
  } catch (e) {
    throw abortedOr(signal, e);
  }
}

/** git's stdout as text, without the final newline (as a shell's `$(git ...)` gives it). */
async function git(cwd: string, args: string[], signal?: AbortSignal): Promise<{ stdout: string }> {
  return { stdout: (await gitBytes(cwd, args, signal)).toString('utf8').replace(/\r?\n$/, '') };
}

/** The commits (sha and subject) whose sha starts with `prefix`; empty unless it looks like a short sha. */
async function commitsWithPrefix(root: string, prefix: string, signal?: AbortSignal): Promise<string[]> {
  if (!/^[0-9a-f]{4,39}$/i.test(prefix)) return [];
  const objects = (await git(root, ['rev-parse', `--disambiguate=${prefix.toLowerCase()}`], signal).catch((e: unknown) => {
    if (signal?.aborted) throw e;
    return { stdout: '' };
  })).stdout;
  const shas = objects.split('\n').filter((l) => SHA_RE.test(l));
  const out: string[] = [];
  for (const sha of shas) {
    const type = await git(root, ['cat-file', '-t', sha], signal).then((r) => r.stdout, (e: unknown) => {
      if (signal?.aborted) throw e;
      return '';
    });
    if (type === 'commit') out.push((await git(root, ['show', '-s', '--format=%H %s', sha], signal)).stdout);
  }
  return out;
}

/**
 * The tar without the entry named `name`. tar-stream loads only here, when a prefixed archive is
 * asked for (`deployer changes` never does: README, "Performance").
 */
function withoutEntry(tar: Readable, name: string): Readable {
  const out = new PassThrough();
  import('./docker/context.js').then(({ filterTar }) => {
    const filtered = filterTar(tar, (p) => p !== name);
    filtered.on('error', (e: Error) => out.destroy(e));
    filtered.pipe(out);
  }, (e: unknown) => out.destroy(e as Error));
  return out;
}

export async function openGit(dir: string): Promise<GitPort> {
  let root: string;
  try {
    root = (await git(dir, ['rev-parse', '--show-toplevel'])).stdout;
  } catch (e) {
    throw new PreconditionError(`${dir} is not inside a git repository`, {
      hint: 'run deployer from the app repository, or set build.context in deployer.yaml',
      cause: e,
      code: 'git.no-repo',
    });
  }
  return gitAt(root);
}

/** `signal`: the run's interrupt (src/cli/wire.ts), handed to every git this adapter starts. */
export function gitAt(root: string, opts: { signal?: AbortSignal } = {}): GitPort {
  const { signal } = opts;
  return {
    root,
    async resolve(rev) {
      // `--end-of-options` stops a revision like `--output=x` from being read as an option.
      if (rev.startsWith('-')) throw new UsageError(`invalid revision ${JSON.stringify(rev)}`, { hint: 'give a commit sha, branch or tag' });
      try {
        const out = (await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], signal)).stdout;
        if (!SHA_RE.test(out)) throw new Error(out);
        return out;
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (/not a git repository/i.test((e as { stderr?: string }).stderr ?? '')) {
          throw new PreconditionError(`${root} is not inside a git repository`, {
            hint: 'run deployer from the app repository, or set build.context in deployer.yaml',
            cause: e,
            code: 'git.no-repo',
          });
        }
        const candidates = await commitsWithPrefix(root, rev, signal);
        if (candidates.length > 1) {
          throw new UsageError(`ambiguous revision ${JSON.stringify(rev)} in ${root}: it starts ${candidates.length} commits`, {
            details: candidates,
            hint: 'give more characters of the sha',
            cause: e,
          });
        }
        throw new UsageError(`unknown revision ${JSON.stringify(rev)} in ${root}`, {
          hint: 'give a commit sha, branch or tag that exists in this repository (git fetch first?)',
          cause: e,
        });
      }
    },
    async diff(from, to) {
      const out = (await git(root, ['diff', '--raw', '-z', '-M', '--no-abbrev', from, to, '--'], signal)).stdout;
      return parseRawDiff(out);
    },
    async isDirty() {
      const out = (await git(root, ['status', '--porcelain', '--untracked-files=no'], signal)).stdout;
      return out.trim().length > 0;
    },
    archive(rev, paths, opts = {}) {
      const args = ['archive', '--format=tar', ...(opts.prefix ? [`--prefix=${opts.prefix}`] : []), rev];
      if (paths && paths.length) args.push('--', ...paths);
      // The tar ends only once git has exited successfully: a failing git (bad path, corrupt object)
      // must fail the stream, never hand Docker a truncated tar that looks complete.
      const out = streamGit(args, { cwd: root, env: GIT_ENV, ...(signal ? { signal } : {}) }, (e) => {
        if (signal?.aborted) return signal.reason as Error;
        return new StepFailedError(`git archive ${rev.slice(0, 12)} failed: ${e instanceof GitFailure ? e.stderr || e.message : String(e)}`, { cause: e, code: 'git.archive' });
      });
      return opts.prefix ? withoutEntry(out, opts.prefix.replace(/\/+$/, '')) : out;
    },
    async show(rev, path) {
      try {
        return await gitBytes(root, ['show', `${rev}:${path}`], signal);
      } catch (e) {
        if (e instanceof GitFailure) return undefined;
        throw e;
      }
    },
    async dirsAt(rev, dirs) {
      // -r -d lists every tree on the way to and below each path (plain ls-tree drops a path that is
      // a prefix of another one given); only the asked-for ones are kept.
      const wanted = new Set(dirs);
      const found = new Set<string>();
      for (const batch of batches([...wanted])) {
        const out = (await git(root, ['ls-tree', '-r', '-d', '-z', '--name-only', '--full-tree', rev, '--', ...batch], signal)).stdout;
        for (const name of out.split('\0')) if (wanted.has(name)) found.add(name);
      }
      return [...found];
    },
    async commitTime(rev) {
      const out = (await git(root, ['show', '-s', '--format=%cI', rev], signal)).stdout;
      return new Date(out);
    },
  };
}
