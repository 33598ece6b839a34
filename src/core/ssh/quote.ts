import { UsageError } from '../errors.js';

// SSH has no argv: the remote login shell parses one command string (docs/traps.md §3). Every
// argument is therefore single-quoted for a POSIX shell (sh, dash, bash, busybox ash), where nothing
// inside '...' is special, newlines included; a single quote becomes '\''. Plain words stay bare
// so commands remain readable in logs. Environment variables are dropped by sshd (AcceptEnv), so
// they travel as assignments in front of the command.

// No `=` (a bare first word `A=b` would be an assignment), no `~` (tilde expansion), no globs.
const BARE = /^[A-Za-z0-9_@%+:,./-]+$/;

// Reserved words are only special unquoted, in command position; quoting turns them into names.
const RESERVED = new Set(['!', '{', '}', '[[', ']]', 'case', 'coproc', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'select', 'then', 'time', 'until', 'while']);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkNoNul(s: string): void {
  // A C string ends at NUL: the remote would silently see a shorter argument.
  if (s.includes('\0')) throw new UsageError(`cannot pass a NUL byte to a remote command: ${JSON.stringify(s)}`);
}

/** One argument, quoted for a POSIX shell. */
export function quoteArg(arg: string): string {
  checkNoNul(arg);
  if (BARE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** argv as a command string whose words reach the remote program verbatim. */
export function quoteArgv(argv: readonly string[]): string {
  if (argv.length === 0) throw new UsageError('cannot run an empty command');
  return argv.map((a, i) => (i === 0 && RESERVED.has(a) ? `'${a}'` : quoteArg(a))).join(' ');
}

export interface RemoteCommandOptions {
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

/** `cd 'dir' && NAME='v' 'prog' 'arg'...`: env and working directory in the command string. */
export function remoteCommand(argv: readonly string[], opts: RemoteCommandOptions = {}): string {
  const assignments = Object.entries(opts.env ?? {}).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new UsageError(`invalid environment variable name ${JSON.stringify(name)}`);
    return `${name}=${quoteArg(value)}`;
  });
  const command = [...assignments, quoteArgv(argv)].join(' ');
  if (opts.cwd === undefined) return command;
  // `cd -- dir` is not understood by every shell; a leading ./ keeps a dash-named dir an operand.
  const dir = opts.cwd.startsWith('-') ? `./${opts.cwd}` : opts.cwd;
  return `cd ${quoteArg(dir)} && ${command}`;
}
