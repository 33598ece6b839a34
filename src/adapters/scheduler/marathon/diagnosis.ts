import { environmentFromApp, type MarathonApp } from '../../../core/marathon/app-info.js';
import { describeDeployment, type MarathonDeployment } from '../../../core/marathon/errors.js';
import { declineReasons, describeQueueItem, queueItemOf, type MarathonQueueItem } from '../../../core/marathon/queue.js';
import type { MarathonReads } from './reads.js';

// What a person needs when a Marathon deployment did not become healthy: the app's counts, our
// deployment (still running? which step?), every task's state and health, the last task failure,
// and the launch queue: an app no agent can take has no tasks at all, and only /v2/queue says which
// offers were declined and why (docs/marathon-api.md §3.1). Marathon's API does not serve task logs
// (they live in the Mesos sandbox).

export interface MarathonDiagnosis {
  details: string[];
  /** Set when the queue says why no task could be placed: that, not the health check, is the problem. */
  hint?: string;
}

export async function marathonDiagnosis(reads: MarathonReads, appId: string, deploymentId: string): Promise<MarathonDiagnosis> {
  const [app, deployments, queue] = await Promise.all([
    reads.app(appId).catch(asError),
    reads.deployments().catch(asError),
    reads.queue().catch(asError),
  ]);
  const queued = queue instanceof Error ? undefined : queueItemOf(queue, appId);
  const details = [
    deploymentLine(deployments, deploymentId),
    ...appLines(app, appId),
    ...queueLines(queue, queued, app),
  ];
  const declined = queued ? declineReasons(queued) : [];
  return declined.length
    ? { details, hint: `Marathon cannot place ${appId}: ${declined[0]}. Lower deploy.marathon.cpus or mem, or free or add agents` }
    : { details };
}

function deploymentLine(deployments: MarathonDeployment[] | Error, deploymentId: string): string {
  if (deployments instanceof Error) return `deployments: could not be read (${deployments.message})`;
  const ours = deployments.find((d) => d.id === deploymentId);
  return ours ? `deployment ${describeDeployment(ours)}: still running` : `deployment ${deploymentId}: no longer running`;
}

function appLines(app: MarathonApp | undefined | Error, appId: string): string[] {
  if (app instanceof Error) return [`app ${appId}: could not be read (${app.message})`];
  if (!app) return [`app ${appId}: does not exist`];
  const env = environmentFromApp(app);
  const lines = [`app ${appId}: ${env.healthy}/${env.wanted} healthy, ${app.tasksRunning ?? env.instances.length} running, ${app.tasksStaged ?? 0} staged, ${app.tasksUnhealthy ?? 0} unhealthy`];
  const tasks = app.tasks ?? [];
  for (const [i, inst] of env.instances.entries()) {
    const task = tasks[i];
    const where = inst.backend ? ` on ${inst.backend.host}:${inst.backend.port}` : task?.host ? ` on ${task.host}` : '';
    lines.push(`task ${inst.id}${where}: ${task?.state ?? (task?.startedAt ? 'running' : 'staging')}, ${inst.state} — ${inst.lastHealth ?? ''}`);
  }
  const f = app.lastTaskFailure;
  if (f) lines.push(`last task failure: ${f.state ?? '?'} at ${f.timestamp ?? '?'}${f.host ? ` on ${f.host}` : ''}: ${f.message ?? ''}`.trimEnd());
  return lines;
}

function queueLines(queue: MarathonQueueItem[] | Error, queued: MarathonQueueItem | undefined, app: MarathonApp | undefined | Error): string[] {
  if (queue instanceof Error) return [`launch queue: could not be read (${queue.message})`];
  if (queued) return describeQueueItem(queued);
  const noTasks = app !== undefined && !(app instanceof Error) && (app.tasks ?? []).length === 0;
  return noTasks ? ['no tasks, and none waiting in the launch queue'] : [];
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
