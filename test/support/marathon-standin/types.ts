import type { LaunchStats } from './queue.js';

// Internal model of the stand-in. App definitions are kept in the canonical 1.5+ shape (networks +
// container.portMappings) whatever the emulated version; render.ts turns them into the version's JSON.

export type NetworkMode = 'host' | 'container/bridge' | 'container';

export interface Network {
  mode: NetworkMode;
  name?: string;
  labels?: Record<string, string>;
}

export interface PortMapping {
  containerPort: number;
  /** undefined = no host port (only possible in `container` mode). */
  hostPort?: number;
  servicePort: number;
  protocol: string;
  name?: string;
  labels: Record<string, string>;
  networkNames?: string[];
}

export interface PortDefinition {
  port: number;
  protocol: string;
  name?: string;
  labels: Record<string, string>;
}

export interface HealthCheck {
  protocol: string;
  path?: string;
  portIndex?: number;
  port?: number;
  command?: { value: string };
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  delaySeconds?: number;
  ignoreHttp1xx?: boolean;
  ipProtocol?: string;
}

export type EnvValue = string | { secret: string };

export interface DockerSpec {
  image: string;
  forcePullImage: boolean;
  privileged: boolean;
  parameters: { key: string; value: string }[];
}

export interface ContainerSpec {
  type: 'DOCKER' | 'MESOS';
  docker?: DockerSpec;
  volumes: unknown[];
}

export interface AppDef {
  id: string;
  cmd?: string;
  args?: string[];
  user?: string;
  env: Record<string, EnvValue>;
  instances: number;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  executor: string;
  constraints: string[][];
  fetch: unknown[];
  backoffSeconds: number;
  backoffFactor: number;
  maxLaunchDelaySeconds: number;
  container?: ContainerSpec;
  networks: Network[];
  /** Only for non-host networks. */
  portMappings: PortMapping[];
  /** Only for host networking. */
  portDefinitions: PortDefinition[];
  requirePorts: boolean;
  healthChecks: HealthCheck[];
  readinessChecks: unknown[];
  dependencies: string[];
  upgradeStrategy: { minimumHealthCapacity: number; maximumOverCapacity: number };
  labels: Record<string, string>;
  acceptedResourceRoles?: string[];
  killSelection: string;
  unreachableStrategy: unknown;
  taskKillGracePeriodSeconds?: number;
  /** Fields the stand-in does not interpret (secrets, residency, tty, role, ...), echoed back. */
  extra: Record<string, unknown>;
}

export interface VersionInfo {
  lastScalingAt: string;
  lastConfigChangeAt: string;
}

export interface HealthResult {
  alive: boolean;
  consecutiveFailures: number;
  firstSuccess: string | null;
  lastSuccess: string | null;
  lastFailure: string | null;
  lastFailureCause: string | null;
}

export type TaskState = 'TASK_STAGING' | 'TASK_STARTING' | 'TASK_RUNNING' | 'TASK_KILLING' | 'TASK_UNREACHABLE';

export interface TaskRecord {
  id: string;
  instanceId: string;
  appId: string;
  /** App version the task was launched with (task JSON `version`). */
  version: string;
  /** lastConfigChangeAt of that version: tasks with the app's current one are "new". */
  configVersion: string;
  /** The definition the task was launched with (health checks follow it). */
  def: AppDef;
  state: TaskState;
  stagedAt: string;
  startedAt?: string;
  /** The agent's hostname (what Marathon reports), its Mesos id and the loopback IP it publishes on. */
  host: string;
  agentId: string;
  agentIp: string;
  ports: number[];
  servicePorts: number[];
  ipAddresses: { ipAddress: string; protocol: 'IPv4' | 'IPv6' }[];
  containerId?: string;
  containerName: string;
  /** One slot per health check of `def`; undefined until the first (non-ignored) result. */
  health: (HealthResult | undefined)[];
  killing: boolean;
}

export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  state: string;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId: string;
}

export type ActionName = 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface DeploymentAction {
  action: ActionName;
  app: string;
}

export type DeploymentKind = 'start' | 'scale' | 'restart' | 'stop' | 'noop' | 'lock';

/** A snapshot of an app as a deployment found or leaves it (null = app absent). */
export interface AppSnapshot {
  /** Service ports already assigned (no 0 left in portMappings[].servicePort / portDefinitions[].port). */
  def: AppDef;
  /** The canonical input the definition was built from (what a partial PUT merges onto). */
  raw: Record<string, unknown>;
  version: string;
  versionInfo: VersionInfo;
}

export interface AppRecord extends AppSnapshot {
  tasks: TaskRecord[];
  lastTaskFailure?: TaskFailure;
  /** Launch backoff (backoffSeconds * backoffFactor^n, capped at maxLaunchDelaySeconds). */
  launchFailures: number;
  launchDelayUntil: number;
  /** Offer statistics while the app has instances left to launch (GET /v2/queue). */
  launch?: LaunchStats;
  /** Every version of the app, for `PUT {"version": ts}` rollbacks. */
  history: Map<string, AppSnapshot>;
}

export interface Deployment {
  id: string;
  version: string;
  appId: string;
  kind: DeploymentKind;
  steps: DeploymentAction[][];
  /** 1-based index of the running step; 0 when the plan has no steps. */
  currentStep: number;
  original: AppSnapshot | null;
  target: AppSnapshot | null;
  /** All apps before and after, for the root groups of "heavy" plans (plan.original / plan.target). */
  before: AppSnapshot[];
  after: AppSnapshot[];
}

export interface HttpError {
  status: number;
  body: unknown;
}
