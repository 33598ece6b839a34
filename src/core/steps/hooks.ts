import type { HookEvent } from '../config/schema.js';
import type { StepBase } from '../plan.js';

// Steps of the hooks in deployer.yaml (`hooks:`). Each names its exact argv and DEPLOYER_*
// variables, fixed when planning, so the plan shows what will run and `--plan` runs nothing.

export interface HookCommand {
  event: HookEvent;
  /** Prefixes every output line; names the hook in errors. */
  name: string;
  argv: string[];
  /** The DEPLOYER_* variables (DEPLOYER_ERROR is added when a `failed` hook runs). */
  env: Record<string, string>;
  timeoutMs: number;
}

/**
 * Run one hook now. `onFailure: 'abort'` (pre- hooks): a failure fails the plan before anything
 * changed. `'report'` (post- hooks): a failure is reported and the command exits 1, but what the
 * plan did stands (a switch is not undone).
 */
export interface HookRunStep extends StepBase, HookCommand {
  kind: 'hook.run';
  onFailure: 'abort' | 'report';
}

/** Arm a `failed` hook: it runs only if a later step fails (not on Ctrl-C). */
export interface HookOnFailureStep extends StepBase, HookCommand {
  kind: 'hook.on-failure';
}

export type HookStep = HookRunStep | HookOnFailureStep;
