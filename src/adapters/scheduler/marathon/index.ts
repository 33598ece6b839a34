import type { DeploySpec } from '../../../core/deploy/spec.js';
import { StepFailedError } from '../../../core/errors.js';
import { LABELS } from '../../../core/image-ref.js';
import { marathonAppId } from '../../../core/marathon/app-id.js';
import type { MarathonHealthProtocol } from '../../../core/marathon/app-definition.js';
import { environmentFromApp, type MarathonApp } from '../../../core/marathon/app-info.js';
import { marathonAnswers } from '../../../core/marathon/payloads.js';
import type { Clock } from '../../../ports/clock.js';
import type { DeployOptions, SchedulerPort } from '../../../ports/scheduler.js';
import type { MarathonClient } from './client.js';
import { watchDeployments } from './deployment-watch.js';
import { destroyApp } from './destroy.js';
import type { EventStreamOptions } from './events.js';
import { marathonFailure } from './failures.js';
import { putApp } from './put-app.js';
import { marathonReads } from './reads.js';
import { waitUntilHealthy } from './wait-healthy.js';

// The cluster scheduler: an environment is one Marathon app `<appPrefix>/<sha12>`. A deploy has
// three phases, one file each: watch (deployment-watch.ts: subscribe to the event stream before
// anything changes), put (put-app.ts: PUT the app, learn our deployment id), wait (wait-healthy.ts:
// our deployment's end, then every task running with all health results alive, within deployer's
// own deadline, since Marathon never fails a crash-looping deployment, docs/marathon-api.md §1.3).

export interface MarathonSchedulerOptions {
  client: MarathonClient;
  appPrefix: string;
  cpus: number;
  mem: number;
  /** deploy.marathon.healthCheck.protocol (default HTTP). */
  healthProtocol?: MarathonHealthProtocol;
  clock: Clock;
  /** Polling interval while the event stream is down, and for task health after the deployment ended. */
  pollIntervalMs?: number;
  /** While the stream is up: a re-check now and then (a slow consumer may lose events without a disconnect). */
  safetyCheckMs?: number;
  /** How long destroy waits for Marathon to finish killing the tasks. */
  destroyWaitMs?: number;
  /** Grace for the 1.8.180 race: a fresh deployment may be missing from /v2/deployments for a moment. */
  deploymentListGraceMs?: number;
  eventStream?: Pick<EventStreamOptions, 'idleTimeoutMs' | 'attachWaitMs'>;
}

export function marathonScheduler(opts: MarathonSchedulerOptions): SchedulerPort {
  const { client, clock } = opts;
  const reads = marathonReads(client);
  const timing = {
    pollMs: opts.pollIntervalMs ?? 2000,
    safetyMs: opts.safetyCheckMs ?? 15_000,
    listGraceMs: opts.deploymentListGraceMs ?? 3000,
  };
  const prefix = opts.appPrefix.replace(/\/+$/, '');

  async function deploy(spec: DeploySpec, { signal, progress, onCreated }: DeployOptions) {
    const appId = marathonAppId(opts.appPrefix, spec.revision);
    const deadline = clock.now().getTime() + spec.timeoutSeconds * 1000;
    const watch = await watchDeployments(client, { appId, signal, progress, pollMs: timing.pollMs, eventStream: opts.eventStream });
    try {
      let deploymentId: string;
      try {
        deploymentId = await putApp({
          client, reads, spec, appId, signal, progress,
          resources: { cpus: opts.cpus, mem: opts.mem, ...(opts.healthProtocol ? { healthProtocol: opts.healthProtocol } : {}) },
        });
      } catch (e) {
        // Interrupted or cut off before the answer came: the PUT may have reached Marathon, so the
        // caller must clean up. An answer (409, 422, …) created nothing.
        if (signal.aborted || (e instanceof StepFailedError && e.code === 'marathon.unreachable')) onCreated?.();
        throw e;
      }
      onCreated?.();
      watch.follow(deploymentId);
      return await waitUntilHealthy({ reads, clock, watch, spec, appId, deploymentId, putAt: clock.now().getTime(), deadline, signal, progress, timing });
    } finally {
      watch.close();
    }
  }

  return {
    name: 'marathon',

    async about() {
      return { endpoint: client.url, ...(await reads.info()) };
    },

    async list(app) {
      let apps: MarathonApp[];
      try {
        // `id` is a substring filter; the exact prefix and the app label are checked here.
        apps = (await client.request('GET', `/v2/apps?id=${encodeURIComponent(`${prefix}/`)}&embed=apps.tasks`, { schema: marathonAnswers.apps })).body.apps ?? [];
      } catch (e) {
        throw marathonFailure(client, 'list apps', e);
      }
      return apps
        .filter((a) => a.id.startsWith(`${prefix}/`) && !a.id.slice(prefix.length + 1).includes('/') && a.labels?.[LABELS.app] === app)
        .map(environmentFromApp);
    },

    async get(app, revision) {
      const found = await reads.app(marathonAppId(opts.appPrefix, revision));
      if (!found) return undefined;
      const label = found.labels?.[LABELS.app];
      return label === undefined || label === app ? environmentFromApp(found) : undefined;
    },

    deploy,

    async destroy(_app, revision, { signal }) {
      await destroyApp({ client, reads, clock, appId: marathonAppId(opts.appPrefix, revision), signal, waitMs: opts.destroyWaitMs ?? 60_000, pollMs: timing.pollMs });
    },
  };
}
