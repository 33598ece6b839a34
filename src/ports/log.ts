/** Progress and log output of a running command. Goes to stderr; the CLI decides spinner vs plain lines. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  /** A line of output from something we run (build, install, tests): streamed as it arrives. */
  output(line: string, source?: string): void;
  /** Transient progress (a spinner on a TTY, nothing or a sparse line in CI). */
  progress(message: string): void;
  debug(message: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, output() {}, progress() {}, debug() {} };
