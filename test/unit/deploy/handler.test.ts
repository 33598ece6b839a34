import { describe, expect, it } from 'vitest';
import { LockHeldError, StepFailedError } from '../../../src/core/errors.js';
import { makePlan } from '../../../src/core/plan.js';
import type { Step } from '../../../src/core/steps/index.js';
import type { SchedulerDeployStep } from '../../../src/core/steps/deploy.js';
import { execute } from '../../../src/exec/executor.js';
import { DEPLOYED_ENVIRONMENT, deployHandlers } from '../../../src/exec/handlers/deploy.js';
import type { ExecContext } from '../../../src/exec/context.js';
import { Results } from '../../../src/exec/results.js';
import type { HandlersFor } from '../../../src/exec/handlers/types.js';
import { silentLog } from '../../../src/ports/log.js';
import type { DeployOptions, SchedulerPort } from '../../../src/ports/scheduler.js';
import { deploySpec } from '../../../src/core/deploy/spec.js';
import { dockerConfig, env, sha } from './fakes.js';

const A = sha('a');

function step(keepFailed: boolean): SchedulerDeployStep {
  return { id: 'deploy', kind: 'scheduler.deploy', title: 'deploy', scheduler: 'docker', environment: 'web-app-aaaaaaaaaaaa', spec: deploySpec(dockerConfig(), A), keepFailed };
}

function run(keepFailed: boolean, behaviour: (o: DeployOptions) => Promise<ReturnType<typeof env>>, signal = new AbortController().signal) {
  const calls: string[] = [];
  const scheduler: SchedulerPort = {
    name: 'docker',
    about: async () => ({ endpoint: 'x' }),
    list: async () => [],
    get: async () => undefined,
    deploy: async (_spec, o) => {
      calls.push('deploy');
      return behaviour(o);
    },
    destroy: async (_app, rev, o) => {
      calls.push(`destroy ${rev.slice(0, 4)} aborted=${o.signal.aborted}`);
    },
  };
  const vars = new Results();
  const ports = { scheduler, log: silentLog } as unknown as ExecContext['ports'];
  const done = execute(makePlan('deploy', 'deploy', {}, [step(keepFailed)] as Step[]), deployHandlers as unknown as HandlersFor<Step>, { config: dockerConfig(), ports, signal, results: vars });
  return { calls, vars, done };
}

const unhealthy = () => new StepFailedError('not healthy after 5s', { code: 'deploy.unhealthy', details: ['c0: unhealthy'] });

describe('scheduler.deploy handler', () => {
  it('leaves the healthy environment in vars for the report', async () => {
    const { vars, done } = run(false, async (o) => {
      o.onCreated?.();
      return env(A);
    });
    await done;
    expect(vars.get(DEPLOYED_ENVIRONMENT)).toMatchObject({ revision: A, healthy: 3 });
  });

  it('removes a failed environment and says so, keeping the diagnosis', async () => {
    const { calls, done } = run(false, async (o) => {
      o.onCreated?.();
      throw unhealthy();
    });
    const err = await done.catch((e: unknown) => e) as StepFailedError;
    expect(calls).toEqual(['deploy', 'destroy aaaa aborted=false']);
    expect(err).toMatchObject({ exitCode: 1, code: 'deploy.unhealthy' });
    expect(err.details).toEqual(['c0: unhealthy', 'the failed environment web-app-aaaaaaaaaaaa was removed (pass --keep-failed to keep a failed one for debugging)']);
  });

  it('keeps it with --keep-failed and tells how to remove it', async () => {
    const { calls, done } = run(true, async (o) => {
      o.onCreated?.();
      throw unhealthy();
    });
    const err = await done.catch((e: unknown) => e) as StepFailedError;
    expect(calls).toEqual(['deploy']);
    expect(err.hint).toBe(`remove it with \`deployer destroy ${A}\``);
    expect(err.details.at(-1)).toBe('the failed environment web-app-aaaaaaaaaaaa was kept (--keep-failed)');
  });

  it('removes nothing when the scheduler created nothing (a lock held by someone else, a 422)', async () => {
    const { calls, done } = run(false, async () => {
      throw new LockHeldError('Marathon app /web-app/aaaaaaaaaaaa is locked by deployment d1');
    });
    await expect(done).rejects.toMatchObject({ exitCode: 3 });
    expect(calls).toEqual(['deploy']);
  });

  it('on Ctrl-C removes what was created with a signal of its own, then exits 130', async () => {
    const ac = new AbortController();
    const { calls, done } = run(false, async (o) => {
      o.onCreated?.();
      ac.abort(new Error('SIGINT'));
      throw o.signal.reason;
    }, ac.signal);
    await expect(done).rejects.toMatchObject({ exitCode: 130 });
    expect(calls).toEqual(['deploy', 'destroy aaaa aborted=false']);
  });
});
