import type { DeploySpec } from '../../../core/deploy/spec.js';
import { isHealthy } from '../../../core/deploy/environment.js';
import { LockHeldError, PreconditionError, StepFailedError } from '../../../core/errors.js';
import { LABELS } from '../../../core/image-ref.js';
import { appPath, marathonAppId } from '../../../core/marathon/app-id.js';
import { buildAppDefinition } from '../../../core/marathon/app-definition.js';
import { environmentFromApp, taskBackendProblems, type MarathonApp } from '../../../core/marathon/app-info.js';
import { marathonAnswers } from '../../../core/marathon/payloads.js';
import { describeDeployment, errorMessage, fieldErrors, lockingDeployments, type MarathonDeployment } from '../../../core/marathon/errors.js';
import type { Clock } from '../../../ports/clock.js';
import type { DeployProgress, SchedulerPort } from '../../../ports/scheduler.js';
import { MarathonHttpError, type MarathonClient } from './client.js';
import { openEventStream, type EventStream } from './events.js';
import { marathonDiagnosis } from './diagnosis.js';
import { Waker } from './waker.js';

// The cluster scheduler: an environment is one Marathon app `<appPrefix>/<sha12>`. deploy PUTs the
// app, then waits for *our* deployment on the event stream (polling /v2/deployments when the stream
// is down), then for every task to be running with all health results alive. Marathon never fails a
// crash-looping deployment, so deployer keeps its own deadline (docs/marathon-api.md §1.3).

export interface MarathonSchedulerOptions {
  client: MarathonClient;
  appPrefix: string;
  cpus: number;
  mem: number;
  clock: Clock;
  /** Polling interval while the event stream is down, and for task health after the deployment ended. */
  pollIntervalMs?: number;
  /** While the stream is up: a re-check now and then (a slow consumer may lose events without a disconnect). */
  safetyCheckMs?: number;
  /** How long destroy waits for Marathon to finish killing the tasks. */
  destroyWaitMs?: number;
  /** Grace for the 1.8.180 race: a fresh deployment may be missing from /v2/deployments for a moment. */
  deploymentListGraceMs?: number;
  eventStream?: { idleTimeoutMs?: number; attachWaitMs?: number };
}

export function marathonScheduler(opts: MarathonSchedulerOptions): SchedulerPort {
  const { client, clock } = opts;
  const pollMs = opts.pollIntervalMs ?? 2000;
  const safetyMs = opts.safetyCheckMs ?? 15_000;
  const listGraceMs = opts.deploymentListGraceMs ?? 3000;
  let info: Promise<{ version?: string }> | undefined;

  const fail = (action: string, e: unknown): unknown => {
    if (!(e instanceof MarathonHttpError)) return e;
    const msg = errorMessage(e.body, e.raw);
    if (e.status === 401) {
      return new StepFailedError(`Marathon refused the credentials (401) while trying to ${action}`, {
        code: 'marathon.auth',
        hint: 'set DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD',
        cause: e,
      });
    }
    if (e.status === 403) {
      return new StepFailedError(`Marathon refused to ${action} (403): ${msg}`, { code: 'marathon.forbidden', cause: e });
    }
    const retried = e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
    return new StepFailedError(`Marathon could not ${action} (${e.status}${retried}): ${msg}`, { code: 'marathon.failed', details: fieldErrors(e.body), cause: e });
  };

  async function getApp(appId: string, signal?: AbortSignal): Promise<MarathonApp | undefined> {
    try {
      return (await client.request('GET', appPath(appId), { schema: marathonAnswers.app, ...(signal ? { signal } : {}) })).body.app;
    } catch (e) {
      if (e instanceof MarathonHttpError && e.status === 404) return undefined;
      throw fail(`read app ${appId}`, e);
    }
  }

  async function getDeployments(signal?: AbortSignal): Promise<MarathonDeployment[]> {
    try {
      return (await client.request('GET', '/v2/deployments', { schema: marathonAnswers.deployments, ...(signal ? { signal } : {}) })).body;
    } catch (e) {
      throw fail('list deployments', e);
    }
  }

  async function lockedError(appId: string, ids: string[], signal: AbortSignal): Promise<LockHeldError> {
    const all = await getDeployments(signal).catch(() => [] as MarathonDeployment[]);
    const holding = ids.length ? ids : all.filter((d) => d.affectedApps?.includes(appId)).map((d) => d.id);
    const details = holding.map((id) => {
      const d = all.find((x) => x.id === id);
      return `deployment ${d ? describeDeployment(d) : id}`;
    });
    return new LockHeldError(`Marathon app ${appId} is locked by ${holding.length === 1 ? `deployment ${holding[0]}` : `${holding.length || 'an unknown'} deployments`}`, {
      details,
      hint: `wait for it to finish, or cancel it (DELETE ${client.url}/v2/deployments/${holding[0] ?? '<id>'}); \`deployer destroy\` removes the app with its deployments`,
    });
  }

  /** PUT the app; returns our deployment id. */
  async function putApp(spec: DeploySpec, appId: string, signal: AbortSignal, progress?: DeployProgress): Promise<string> {
    const { version } = await about();
    const def = buildAppDefinition(spec, { appId, version: version ?? '', cpus: opts.cpus, mem: opts.mem });
    let res;
    try {
      res = await client.request('PUT', appPath(appId), { schema: marathonAnswers.putApp, body: def, signal });
    } catch (e) {
      if (e instanceof MarathonHttpError && e.status === 409) {
        const ids = lockingDeployments(e.body);
        if (e.attempts > 1) {
          // An earlier attempt may have reached Marathon before its answer was lost: that lock is ours.
          const app = await getApp(appId, signal);
          const mine = app?.labels?.[LABELS.revision] === spec.revision ? app.deployments ?? [] : [];
          if (mine.length === 1 && (ids.length === 0 || ids.includes(mine[0]!.id))) return mine[0]!.id;
        }
        throw await lockedError(appId, ids, signal);
      }
      if (e instanceof MarathonHttpError && (e.status === 422 || e.status === 400)) {
        throw new StepFailedError(`Marathon rejected the app definition of ${appId} (${e.status}: ${errorMessage(e.body, e.raw)})`, {
          code: 'marathon.invalid',
          details: fieldErrors(e.body),
          hint: 'check deploy.* in deployer.yaml against these field errors (run with --plan to see the definition)',
          cause: e,
        });
      }
      throw fail(`create app ${appId}`, e);
    }
    const header = res.headers['marathon-deployment-id'];
    const id = res.body?.deploymentId ?? (typeof header === 'string' ? header : undefined) ?? res.body?.deployments?.[0]?.id;
    if (!id) throw new StepFailedError(`Marathon accepted app ${appId} (${res.status}) but named no deployment id`, { code: 'marathon.protocol' });
    progress?.(`PUT ${appId}: deployment ${id}`);
    return id;
  }

  async function about() {
    info ??= client.request('GET', '/v2/info', { schema: marathonAnswers.info }).then(
      (r) => ({ ...(typeof r.body?.version === 'string' ? { version: r.body.version } : {}) }),
      (e) => {
        info = undefined;
        throw fail('read /v2/info', e);
      },
    );
    return info;
  }

  return {
    name: 'marathon',

    async about() {
      return { endpoint: client.url, ...(await about()) };
    },

    async list(app) {
      const prefix = opts.appPrefix.replace(/\/+$/, '');
      let apps: MarathonApp[];
      try {
        // `id` is a substring filter; the exact prefix and the app label are checked here.
        apps = (await client.request('GET', `/v2/apps?id=${encodeURIComponent(`${prefix}/`)}&embed=apps.tasks`, { schema: marathonAnswers.apps })).body.apps ?? [];
      } catch (e) {
        throw fail('list apps', e);
      }
      return apps
        .filter((a) => a.id.startsWith(`${prefix}/`) && !a.id.slice(prefix.length + 1).includes('/') && a.labels?.[LABELS.app] === app)
        .map(environmentFromApp);
    },

    async get(app, revision) {
      const found = await getApp(marathonAppId(opts.appPrefix, revision));
      if (!found) return undefined;
      const label = found.labels?.[LABELS.app];
      return label === undefined || label === app ? environmentFromApp(found) : undefined;
    },

    async deploy(spec, { signal, progress, onCreated }) {
      const appId = marathonAppId(opts.appPrefix, spec.revision);
      const started = clock.now().getTime();
      const deadline = started + spec.timeoutSeconds * 1000;
      const waker = new Waker();
      let deploymentId: string | undefined;
      const early = new Map<string, { ok: boolean; reason?: string }>();
      let ended = false;
      let failedReason: string | undefined;

      const settle = (id: string, ok: boolean, reason?: string) => {
        if (deploymentId === undefined) {
          early.set(id, { ok, ...(reason ? { reason } : {}) });
          return;
        }
        if (id !== deploymentId) return;
        ended = true;
        if (!ok) failedReason = reason ?? 'no reason given';
        waker.wake();
      };

      let stream: EventStream | undefined;
      let malformed = 0;
      try {
        // Attach before the PUT, so our deployment's events cannot slip past.
        stream = await openEventStream(client, {
          signal,
          ...opts.eventStream,
          onEvent(e) {
            if (e.type === 'deployment_success') settle(e.id, true);
            else if (e.type === 'deployment_failed') settle(e.id, false, e.reason);
            else if (e.type === 'status_update_event' && e.appId === appId) progress?.(`task ${e.taskId}: ${e.taskStatus}${e.host ? ` on ${e.host}` : ''}`);
            else if (e.type === 'health_changed' && e.appId === appId) progress?.(`task ${e.instance}: ${e.alive === null ? 'health unknown' : e.alive ? 'healthy' : 'unhealthy'}`);
            else if (e.type === 'malformed' && ++malformed <= 3) progress?.(`event stream: ignored a malformed event (${e.why})${malformed === 3 ? '; not reporting more' : ''}`);
          },
          onDrop(reason) {
            progress?.(`event stream dropped (${reason}); polling /v2/deployments every ${pollMs / 1000}s`);
            waker.wake();
          },
        });
      } catch (e) {
        signal.throwIfAborted();
        progress?.(`event stream unavailable (${e instanceof Error ? e.message : String(e)}); polling /v2/deployments`);
      }

      try {
        try {
          deploymentId = await putApp(spec, appId, signal, progress);
        } catch (e) {
          // Interrupted or cut off before the answer came: the PUT may have reached Marathon, so the
          // caller must clean up. An answer (409, 422, …) created nothing.
          if (signal.aborted || (e instanceof StepFailedError && e.code === 'marathon.unreachable')) onCreated?.();
          throw e;
        }
        onCreated?.();
        const putAt = clock.now().getTime();
        const seen = early.get(deploymentId);
        if (seen) settle(deploymentId, seen.ok, seen.reason);

        let listed = false;
        let timedOut = false;
        let lastReport = '';
        for (;;) {
          signal.throwIfAborted();
          if (failedReason !== undefined) {
            throw new StepFailedError(`Marathon deployment ${deploymentId} of ${appId} failed: ${failedReason}`, {
              code: 'deploy.failed',
              details: await marathonDiagnosis(getApp, getDeployments, appId, deploymentId),
            });
          }
          const streamUp = stream?.up ?? false;
          if (ended || !streamUp || timedOut) {
            if (!ended) {
              const ours = (await getDeployments(signal)).some((d) => d.id === deploymentId);
              if (ours) listed = true;
              else if (listed || clock.now().getTime() - putAt >= listGraceMs) ended = true;
            }
            if (ended) {
              const app = await getApp(appId, signal);
              if (!app) throw new StepFailedError(`Marathon app ${appId} disappeared during its deployment (deleted by someone else?)`, { code: 'deploy.failed' });
              const env = environmentFromApp(app);
              if (isHealthy(env)) {
                // Task hosts and ports go into nginx files: refuse what could not be written safely.
                const problems = taskBackendProblems(app);
                if (problems.length === 0) return env;
                throw new PreconditionError(`Marathon reports tasks of ${appId} at addresses that cannot go into an nginx file`, {
                  code: 'backend.invalid',
                  details: problems,
                  hint: 'check the Marathon agents\' host names and the app\'s port mappings; no nginx file was written',
                });
              }
              const report = `${env.healthy}/${env.wanted} healthy; deployment ended, waiting for every task's health results`;
              if (report !== lastReport) progress?.(report);
              lastReport = report;
            }
          }
          const left = deadline - clock.now().getTime();
          if (left <= 0) break;
          timedOut = !(await waker.wait(Math.min(ended || !(stream?.up ?? false) ? pollMs : safetyMs, left), signal));
        }
        throw new StepFailedError(`Marathon app ${appId} is not healthy after ${spec.timeoutSeconds}s`, {
          code: 'deploy.unhealthy',
          details: await marathonDiagnosis(getApp, getDeployments, appId, deploymentId),
          hint: `every task must answer GET ${spec.healthCheck.path} with 2xx/3xx on port ${spec.port}; task logs are in each task's Mesos sandbox`,
        });
      } finally {
        stream?.close();
      }
    },

    async destroy(app, revision, { signal }) {
      const appId = marathonAppId(opts.appPrefix, revision);
      let deploymentId: string | undefined;
      try {
        // force defaults to true on DELETE: it cancels a running deployment instead of a 409.
        const res = await client.request('DELETE', appPath(appId), { schema: marathonAnswers.deleteApp, signal });
        deploymentId = res.body?.deploymentId;
      } catch (e) {
        if (e instanceof MarathonHttpError && e.status === 404) return;
        throw fail(`delete app ${appId}`, e);
      }
      if (!deploymentId) return;
      // The app is gone from GET at once; its tasks are killed by the removal deployment.
      const until = clock.now().getTime() + (opts.destroyWaitMs ?? 60_000);
      while (clock.now().getTime() < until) {
        const running = (await getDeployments(signal)).some((d) => d.id === deploymentId);
        if (!running) return;
        await clock.sleep(Math.min(pollMs, 1000), signal);
      }
      throw new StepFailedError(`Marathon is still removing ${appId} (deployment ${deploymentId}) after ${Math.round((opts.destroyWaitMs ?? 60_000) / 1000)}s`, {
        code: 'marathon.slow-delete',
        hint: `check ${client.url}/v2/deployments; the app itself is already deleted`,
      });
    },
  };
}
