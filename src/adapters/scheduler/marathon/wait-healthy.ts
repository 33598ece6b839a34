import { isHealthy, type EnvironmentInfo } from '../../../core/deploy/environment.js';
import type { DeploySpec } from '../../../core/deploy/spec.js';
import { PreconditionError, StepFailedError } from '../../../core/errors.js';
import { environmentFromApp, taskBackendProblems, type MarathonApp } from '../../../core/marathon/app-info.js';
import type { Clock } from '../../../ports/clock.js';
import type { DeployProgress } from '../../../ports/scheduler.js';
import type { DeploymentWatch } from './deployment-watch.js';
import { marathonDiagnosis } from './diagnosis.js';
import type { MarathonReads } from './reads.js';

// Phase 3 of a deploy: wait until our deployment has ended and every task is running with all its
// health results alive, or until deployer's own deadline (Marathon never fails a crash-looping
// deployment, docs/marathon-api.md §1.3). While the event stream is attached its events end the
// wait, with a re-check now and then; otherwise /v2/deployments is polled.

export interface HealthWaitInput {
  reads: MarathonReads;
  clock: Clock;
  watch: DeploymentWatch;
  spec: DeploySpec;
  appId: string;
  deploymentId: string;
  /** When the PUT was answered (for the /v2/deployments grace). */
  putAt: number;
  /** Epoch ms: deployer's deadline. */
  deadline: number;
  signal: AbortSignal;
  progress?: DeployProgress | undefined;
  timing: { pollMs: number; safetyMs: number; listGraceMs: number };
}

export async function waitUntilHealthy(input: HealthWaitInput): Promise<EnvironmentInfo> {
  const { watch, clock, signal, timing } = input;
  const listing = deploymentListing(input);
  let lastReport = '';
  let recheckDue = false;
  for (;;) {
    signal.throwIfAborted();
    if (watch.outcome?.ok === false) throw await deploymentFailedError(input, watch.outcome.reason);
    let ended = watch.outcome?.ok === true || listing.seenEnded;
    if (!ended && (!watch.streaming || recheckDue)) ended = await listing.ended();
    if (ended) {
      const { app, env } = await readEnvironment(input);
      if (isHealthy(env)) return servable(input, app, env);
      const report = `${env.healthy}/${env.wanted} healthy; deployment ended, waiting for every task's health results`;
      if (report !== lastReport) input.progress?.(report);
      lastReport = report;
    }
    const left = input.deadline - clock.now().getTime();
    if (left <= 0) throw await notHealthyInTimeError(input);
    const interval = ended || !watch.streaming ? timing.pollMs : timing.safetyMs;
    const woken = await watch.wait(Math.min(interval, left), signal);
    recheckDue = !woken || watch.takeRecheck();
  }
}

/**
 * Whether our deployment has left /v2/deployments. Right after the PUT it may not be listed yet
 * (1.8.180 race): missing counts as ended only once it was listed, or after the grace.
 */
function deploymentListing(input: HealthWaitInput) {
  let listed = false;
  let ended = false;
  return {
    /** Once ended, always ended: no need to ask again. */
    get seenEnded() {
      return ended;
    },
    async ended(): Promise<boolean> {
      if (ended) return true;
      const running = (await input.reads.deployments(input.signal)).some((d) => d.id === input.deploymentId);
      if (running) listed = true;
      else if (listed || input.clock.now().getTime() - input.putAt >= input.timing.listGraceMs) ended = true;
      return ended;
    },
  };
}

async function readEnvironment(input: HealthWaitInput): Promise<{ app: MarathonApp; env: EnvironmentInfo }> {
  const app = await input.reads.app(input.appId, input.signal);
  if (!app) throw new StepFailedError(`Marathon app ${input.appId} disappeared during its deployment (deleted by someone else?)`, { code: 'deploy.failed' });
  return { app, env: environmentFromApp(app) };
}

/** A healthy environment, once its task hosts and ports are known to be safe in an nginx file. */
function servable(input: HealthWaitInput, app: MarathonApp, env: EnvironmentInfo): EnvironmentInfo {
  const problems = taskBackendProblems(app);
  if (problems.length === 0) return env;
  throw new PreconditionError(`Marathon reports tasks of ${input.appId} at addresses that cannot go into an nginx file`, {
    code: 'backend.invalid',
    details: problems,
    hint: 'check the Marathon agents\' host names and the app\'s port mappings; no nginx file was written',
  });
}

async function deploymentFailedError(input: HealthWaitInput, reason: string): Promise<StepFailedError> {
  const { details } = await marathonDiagnosis(input.reads, input.appId, input.deploymentId);
  return new StepFailedError(`Marathon deployment ${input.deploymentId} of ${input.appId} failed: ${reason}`, { code: 'deploy.failed', details });
}

async function notHealthyInTimeError(input: HealthWaitInput): Promise<StepFailedError> {
  const { spec } = input;
  const { details, hint } = await marathonDiagnosis(input.reads, input.appId, input.deploymentId);
  return new StepFailedError(`Marathon app ${input.appId} is not healthy after ${spec.timeoutSeconds}s`, {
    code: 'deploy.unhealthy',
    details,
    hint: hint ?? `every task must answer GET ${spec.healthCheck.path} with 2xx/3xx on port ${spec.port}; task logs are in each task's Mesos sandbox`,
  });
}
