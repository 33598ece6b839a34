/** Runs the hooks of deployer.yaml on the machine running deployer. */
export interface HookRun {
  argv: string[];
  /** Added to the inherited environment (from which every inherited DEPLOYER_* variable is removed). */
  env: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Every line of stdout and stderr, as it arrives. */
  onLine(line: string): void;
}

export interface HookResult {
  ok: boolean;
  exitCode?: number;
  /** The signal that ended it (after a timeout: the one deployer sent). */
  signal?: string;
  timedOut: boolean;
  /** It could not be started (ENOENT, EACCES). */
  startError?: string;
}

export interface HookRunner {
  run(run: HookRun): Promise<HookResult>;
}
