import { DeployerError, InterruptedError, StepFailedError } from '../../core/errors.js';
import { shortSha } from '../../core/image-ref.js';
import type { DeployStep } from '../../core/steps/deploy.js';
import type { EnvironmentInfo } from '../../ports/scheduler.js';
import { resultKey } from '../results.js';
import type { HandlersFor } from './types.js';

/** Where scheduler.deploy leaves the healthy environment for the report and later steps. */
export const DEPLOYED_ENVIRONMENT = resultKey<EnvironmentInfo>('deploy.environment');

/** Removing a failed environment must not be cut short by the Ctrl-C that caused it. */
const CLEANUP_TIMEOUT_MS = 120_000;

/** The diagnosis stays; a line says what became of the environment, and the hint may say what to do. */
function annotate(e: unknown, detail: string, hint?: string): unknown {
  if (e instanceof DeployerError && !(e instanceof StepFailedError) && !(e instanceof InterruptedError)) {
    e.details.push(detail, ...(hint ? [`then ${hint}`] : []));
    return e;
  }
  if (!(e instanceof StepFailedError)) return e;
  const h = [e.hint, hint].filter(Boolean).join('; ');
  return new StepFailedError(e.message, { code: e.code, details: [...e.details, detail], ...(h ? { hint: h } : {}), cause: e.cause ?? e });
}

export const deployHandlers: HandlersFor<DeployStep> = {
  async 'scheduler.deploy'(step, ctx) {
    const { scheduler, log } = ctx.ports;
    const { spec } = step;
    let created = false;
    let env: EnvironmentInfo;
    try {
      env = await scheduler.deploy(spec, {
        signal: ctx.signal,
        progress: (m) => log.info(`  ${step.environment}: ${m}`),
        onCreated: () => {
          created = true;
        },
      });
    } catch (e) {
      if (!created) throw e;
      const destroyCmd = `deployer destroy ${spec.revision}`;
      if (step.keepFailed) {
        throw annotate(e, `the failed environment ${step.environment} was kept (--keep-failed)`, `remove it with \`${destroyCmd}\``);
      }
      try {
        await scheduler.destroy(spec.app, spec.revision, { signal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
      } catch (cleanup) {
        const why = cleanup instanceof Error ? cleanup.message : String(cleanup);
        throw annotate(e, `removing the failed environment ${step.environment} failed too: ${why}`, `run \`${destroyCmd}\``);
      }
      throw annotate(e, `the failed environment ${step.environment} was removed (pass --keep-failed to keep a failed one for debugging)`);
    }
    ctx.results.set(DEPLOYED_ENVIRONMENT, env);
    log.info(`  ${step.environment}: ${env.healthy}/${env.wanted} healthy (${shortSha(spec.revision)})`);
  },

  async 'scheduler.destroy'(step, ctx) {
    await ctx.ports.scheduler.destroy(step.app, step.revision, { signal: ctx.signal });
  },
};
