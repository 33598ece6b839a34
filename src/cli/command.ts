import type { Command } from 'commander';
import type { Config } from '../core/config/schema.js';
import type { Plan } from '../core/plan.js';
import type { Results } from '../exec/results.js';
import type { Ports } from '../ports/index.js';
import type { LoadedConfig } from './config-file.js';
import type { Output } from './output.js';

export interface GlobalOptions {
  config: string;
  plan: boolean;
  json: boolean;
  verbose: boolean;
  /** Where applied deploys, switches, rollbacks, destroys and failures are appended. */
  events?: string;
}

/** A section of deployer.yaml a command cannot run without (src/cli/requirements.ts checks them). */
export type ConfigSection = 'deploy' | 'switch' | 'test';

/** The config of a command that declared `N`: those sections are known to be there. */
export type ConfigWith<N extends ConfigSection> = Config & { [K in N]-?: NonNullable<Config[K]> };

export interface CommandEnv<N extends ConfigSection = never> {
  loaded: LoadedConfig;
  config: ConfigWith<N>;
  ports: Ports;
  out: Output;
  globals: GlobalOptions;
  signal: AbortSignal;
}

export interface Report {
  text: string;
  json: unknown;
  /**
   * What a command that judges something found (verify: the images differ; test-image: tests
   * failed; doctor: a check failed). src/cli/run.ts maps 'failed' to exit 1; a report never picks
   * an exit code itself.
   */
  verdict?: 'passed' | 'failed';
}

export interface Outcome {
  plan: Plan;
  /** Ask for confirmation on a TTY before applying (switch, rollback); `--yes` skips it. */
  confirm?: boolean;
  yes?: boolean;
  /** What to print once the steps ran (read-only commands have no steps, only a report). */
  report?: (results: Results) => Report | Promise<Report>;
}

/** A subcommand: gathers facts through read-only ports and returns a plan (no changes yet). */
export type CommandAction<N extends ConfigSection = never> = (env: CommandEnv<N>, args: string[], opts: Record<string, unknown>) => Promise<Outcome>;


