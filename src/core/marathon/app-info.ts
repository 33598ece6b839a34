import type { EnvironmentInfo, InstanceInfo, InstanceState } from '../deploy/environment.js';
import { LABELS } from '../image-ref.js';
import { hostProblem, portProblem } from '../nginx/validate.js';

// Marathon's AppInfo and Task JSON, read defensively: fields differ across versions (null vs absent
// vs [], `state` missing before 1.2, results keyed by taskId or instanceId; docs/marathon-api.md §2.2).

export interface MarathonHealthResult {
  alive?: boolean;
  consecutiveFailures?: number;
  firstSuccess?: string | null;
  lastSuccess?: string | null;
  lastFailure?: string | null;
  lastFailureCause?: string | null;
}

export interface MarathonTask {
  id: string;
  appId?: string;
  host?: string | null;
  ports?: number[] | null;
  state?: string | null;
  stagedAt?: string | null;
  startedAt?: string | null;
  version?: string;
  healthCheckResults?: MarathonHealthResult[] | null;
}

export interface MarathonTaskFailure {
  host?: string;
  message?: string;
  state?: string;
  taskId?: string;
  timestamp?: string;
}

export interface MarathonApp {
  id: string;
  instances?: number;
  labels?: Record<string, string> | null;
  env?: Record<string, unknown> | null;
  container?: { docker?: { image?: string } | null } | null;
  healthChecks?: unknown[] | null;
  tasks?: MarathonTask[] | null;
  deployments?: { id: string }[] | null;
  version?: string;
  versionInfo?: { lastConfigChangeAt?: string; lastScalingAt?: string } | null;
  lastTaskFailure?: MarathonTaskFailure | null;
  tasksRunning?: number;
  tasksHealthy?: number;
  tasksStaged?: number;
  tasksUnhealthy?: number;
}

const STOPPED = new Set(['TASK_KILLING', 'TASK_KILLED', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_GONE', 'TASK_DROPPED', 'TASK_UNREACHABLE', 'TASK_GONE_BY_OPERATOR', 'TASK_UNKNOWN']);

/** A task without `state` (before 1.2) is running once it has `startedAt`. */
export function isRunning(task: MarathonTask): boolean {
  if (task.state) return task.state === 'TASK_RUNNING';
  return Boolean(task.startedAt);
}

/**
 * Healthy = running, and every health check of the app has a result, all alive (bamboo's rule). A
 * task without results is *unknown*: results are missing for new tasks and for every task right after
 * a leader failover, so "no results" must never read as healthy.
 */
export function taskState(task: MarathonTask, healthChecks: number): InstanceState {
  if (task.state && STOPPED.has(task.state)) return 'stopped';
  if (!isRunning(task)) return 'starting';
  if (healthChecks === 0) return 'healthy';
  const results = task.healthCheckResults ?? [];
  if (results.length < healthChecks) return results.some((r) => r.alive === false) ? 'unhealthy' : 'unknown';
  return results.every((r) => r.alive === true) ? 'healthy' : 'unhealthy';
}

export function describeHealth(task: MarathonTask, healthChecks: number): string {
  const results = task.healthCheckResults ?? [];
  if (healthChecks > 0 && results.length === 0) return 'no health check results (unknown)';
  const parts = results.map((r) => {
    if (r.alive) return `alive since ${r.lastSuccess ?? r.firstSuccess ?? '?'}`;
    const cause = r.lastFailureCause ? `: ${r.lastFailureCause}` : '';
    const n = r.consecutiveFailures ?? 0;
    return `failing${cause} (${n} consecutive failure${n === 1 ? '' : 's'})`;
  });
  if (results.length < healthChecks) parts.push(`${healthChecks - results.length} check(s) without results`);
  return parts.join('; ') || 'no health checks';
}

export function taskInstance(task: MarathonTask, healthChecks: number): InstanceInfo {
  const port = task.ports?.[0];
  return {
    id: task.id,
    state: taskState(task, healthChecks),
    // Bridge networking: the agent host and the allocated host port; ipAddresses holds the docker
    // bridge IP, reachable from nowhere else (docs/marathon-api.md §2.2).
    ...(task.host && port ? { backend: { host: task.host, port } } : {}),
    lastHealth: describeHealth(task, healthChecks),
  };
}

function revisionOf(app: MarathonApp): string {
  const label = app.labels?.[LABELS.revision];
  if (label) return label;
  const env = app.env?.DEPLOYER_REVISION;
  return typeof env === 'string' ? env : app.id.split('/').pop() ?? app.id;
}

export function environmentFromApp(app: MarathonApp): EnvironmentInfo {
  const checks = app.healthChecks?.length ?? 0;
  const instances = (app.tasks ?? []).map((t) => taskInstance(t, checks));
  const healthy = instances.filter((i) => i.state === 'healthy');
  const created = app.versionInfo?.lastConfigChangeAt ?? app.version;
  return {
    revision: revisionOf(app),
    id: app.id,
    image: app.container?.docker?.image ?? '',
    wanted: app.instances ?? 0,
    instances,
    backends: healthy.flatMap((i) => (i.backend ? [i.backend] : [])),
    healthy: healthy.length,
    ...(created ? { createdAt: new Date(created) } : {}),
  };
}

/**
 * What is wrong with the address of each healthy task, one line each: these become nginx backends,
 * so a host like `a;b` or a port 0 or 70000 is refused here, before any file is written.
 */
export function taskBackendProblems(app: MarathonApp): string[] {
  const checks = app.healthChecks?.length ?? 0;
  return (app.tasks ?? [])
    .filter((t) => taskState(t, checks) === 'healthy')
    .flatMap((t) => [hostProblem(t.host), t.ports?.length ? portProblem(t.ports[0]) : 'no host port'].filter((p): p is string => p !== undefined).map((p) => `task ${t.id}: ${p}`));
}
