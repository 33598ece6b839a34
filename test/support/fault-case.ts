// One counted case of the fault suite (`npm run faults`). A case injects one fault, runs deployer,
// and returns what it saw; the harness asserts the documented exit code, one clear message (no stack
// trace for an expected failure) and that nothing was lost, and records the outcome for the table
// that scripts/faults-table.mjs prints (category, cases, passed, lost).
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

export interface FaultOutcome {
  /** What deployer exited with, and what the README's exit-code table documents for this fault. */
  exitCode: number;
  expectedExit: number;
  /** stdout + stderr of the run (or of the last run, for a recovery case). */
  output: string;
  /** A piece of the one clear message the user must see (what failed, where, or how to fix). */
  message?: RegExp;
  /** Each thing found lost or left behind (see nothing-lost.ts); empty when nothing was. */
  lost: string[];
}

/** A stack trace or the "this is a bug" line: never expected for a fault we anticipate. */
const CRASH = /(^\s+at .+:\d+:\d+\)?$)|unexpected error|this is a bug/m;

export function faultCase(category: string, name: string, run: () => Promise<FaultOutcome>, timeoutMs = 120_000): void {
  it(name, async () => {
    let outcome: FaultOutcome | undefined;
    let problem: string | undefined;
    try {
      outcome = await run();
    } catch (e) {
      problem = `the case itself failed: ${(e as Error).message}`;
    }
    const crashed = outcome ? CRASH.test(outcome.output) : false;
    const messageOk = outcome ? (outcome.message ? outcome.message.test(outcome.output) : true) : false;
    const passed = !!outcome && outcome.exitCode === outcome.expectedExit && !crashed && messageOk && outcome.lost.length === 0;
    record({ category, name, passed, lost: outcome ? outcome.lost.length > 0 : false, exitCode: outcome?.exitCode, problem });
    if (problem) throw new Error(problem);
    const o = outcome!;
    expect(o.lost, `lost or left behind:\n${o.lost.join('\n')}\n--- output ---\n${o.output}`).toEqual([]);
    expect(o.exitCode, `exit code\n--- output ---\n${o.output}`).toBe(o.expectedExit);
    expect(crashed, `a stack trace or "unexpected error" in:\n${o.output}`).toBe(false);
    if (o.message) expect(o.output).toMatch(o.message);
  }, timeoutMs);
}

function record(row: { category: string; name: string; passed: boolean; lost: boolean; exitCode?: number; problem?: string }): void {
  const dir = process.env.DEPLOYER_FAULTS_OUT;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(row)}\n`);
}
