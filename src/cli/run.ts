import { createInterface } from 'node:readline/promises';
import { planToJson } from '../core/plan.js';
import { renderPlanText } from '../core/render-plan.js';
import { ExitCode, StepFailedError, UsageError } from '../core/errors.js';
import { execute, type StepRecord } from '../exec/executor.js';
import { hookFailures } from '../exec/handlers/hooks.js';
import { handlers } from '../exec/handlers/index.js';
import { Results } from '../exec/results.js';
import type { CommandEnv, Outcome } from './command.js';
import { recordEvent } from './events.js';

async function confirmOnTty(env: CommandEnv): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('Apply this plan? Type "yes" to continue: ', { signal: env.signal });
    return answer.trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

/**
 * The one place that decides between printing a plan and applying it. `--plan` stops after
 * rendering: nothing below that line runs, so a plan can never change anything.
 */
export async function runOutcome(env: CommandEnv, outcome: Outcome): Promise<number> {
  const { plan } = outcome;
  const { out, globals } = env;
  if (globals.plan) {
    out.print(globals.json ? planToJson(plan) : renderPlanText(plan, out.paint));
    return 0;
  }
  if (plan.steps.length > 0) {
    if (outcome.confirm && !outcome.yes && process.stdin.isTTY && process.stderr.isTTY) {
      out.print(renderPlanText(plan, out.paint, { applied: true }));
      if (!(await confirmOnTty(env))) {
        throw new UsageError('not confirmed; nothing was changed', { hint: 'answer "yes", or pass --yes in scripts' });
      }
    } else if (!globals.json) {
      out.print(renderPlanText(plan, out.paint, { applied: true }));
    }
  }
  const results = new Results();
  let records: StepRecord[];
  try {
    records = await execute(plan, handlers, { config: env.config, ports: env.ports, signal: env.signal, results }, out.observer);
  } catch (e) {
    await recordEvent(env, plan, { error: e });
    throw e;
  }
  await recordEvent(env, plan);
  const report = await outcome.report?.(results);
  if (globals.json) {
    out.print(JSON.stringify(report ? report.json : { command: plan.command, steps: records }, null, 2));
  } else if (report) {
    out.print(report.text);
  }
  // A post- hook that failed: the plan's changes stand (a switch is not undone), but the command
  // exits 1 so a pipeline shows it.
  const failures = hookFailures(results);
  if (failures.length) {
    throw new StepFailedError(`${failures.join('; ')}; the ${plan.command} itself succeeded and stands`, { code: 'hook.failed', hint: 'the hook\'s output is above, prefixed with its name' });
  }
  return report?.verdict === 'failed' ? ExitCode.stepFailed : ExitCode.ok;
}
