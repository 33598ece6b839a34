import { environmentFromApp } from '../../../core/marathon/app-info.js';
import { describeDeployment } from '../../../core/marathon/errors.js';
import type { MarathonReads } from './reads.js';

// What a person needs when a Marathon deployment did not become healthy: the app's counts, our
// deployment (still running? which step?), every task's state and health, and the last task failure.
// Marathon's API does not serve task logs (they live in the Mesos sandbox).

export async function marathonDiagnosis(reads: MarathonReads, appId: string, deploymentId: string): Promise<string[]> {
  const lines: string[] = [];
  const [app, deployments] = await Promise.all([
    reads.app(appId).catch(asError),
    reads.deployments().catch(asError),
  ]);
  if (deployments instanceof Error) {
    lines.push(`deployments: could not be read (${deployments.message})`);
  } else {
    const ours = deployments.find((d) => d.id === deploymentId);
    lines.push(ours ? `deployment ${describeDeployment(ours)}: still running` : `deployment ${deploymentId}: no longer running`);
  }
  if (app instanceof Error) {
    lines.push(`app ${appId}: could not be read (${app.message})`);
    return lines;
  }
  if (!app) {
    lines.push(`app ${appId}: does not exist`);
    return lines;
  }
  const env = environmentFromApp(app);
  lines.push(`app ${appId}: ${env.healthy}/${env.wanted} healthy, ${app.tasksRunning ?? env.instances.length} running, ${app.tasksStaged ?? 0} staged, ${app.tasksUnhealthy ?? 0} unhealthy`);
  const tasks = app.tasks ?? [];
  for (const [i, inst] of env.instances.entries()) {
    const task = tasks[i];
    const where = inst.backend ? ` on ${inst.backend.host}:${inst.backend.port}` : task?.host ? ` on ${task.host}` : '';
    lines.push(`task ${inst.id}${where}: ${task?.state ?? (task?.startedAt ? 'running' : 'staging')}, ${inst.state} — ${inst.lastHealth ?? ''}`);
  }
  if (tasks.length === 0) lines.push('no tasks (Marathon may be waiting for offers, or relaunching after failures with backoff)');
  const f = app.lastTaskFailure;
  if (f) lines.push(`last task failure: ${f.state ?? '?'} at ${f.timestamp ?? '?'}${f.host ? ` on ${f.host}` : ''}: ${f.message ?? ''}`.trimEnd());
  return lines;
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
