import type { ExecResult } from '../../ports/docker.js';
import type { ExecContext } from '../context.js';

// How a delta's commands (rm, rmdir, the deps install) run inside the build container: through
// the Docker API's exec (argv, no shell).

export interface RunOptions {
  workingDir?: string;
  onLine?: (line: string) => void;
}

export type CommandRunner = (argv: string[], opts?: RunOptions) => Promise<ExecResult>;

export function commandRunner(ctx: ExecContext, container: string): CommandRunner {
  return (argv, opts = {}) =>
    ctx.ports.docker.exec(container, argv, {
      signal: ctx.signal,
      ...(opts.workingDir ? { workingDir: opts.workingDir } : {}),
      ...(opts.onLine ? { onLine: (l: string) => opts.onLine!(l) } : {}),
    });
}
