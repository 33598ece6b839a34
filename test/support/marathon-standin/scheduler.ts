// App state, deployments and the task loop — the part of Marathon the stand-in really runs.
//
// Model (docs/marathon-api.md §1.1, §1.3, §3): every API change stores the new definition first (GET shows it at
// once), then starts a deployment for that app. A reconcile loop (every 500 ms and right after each change) drives
// the app's tasks towards the definition: new-config tasks are launched, old-config tasks are killed as new
// ones become ready (upgradeStrategy minimumHealthCapacity / maximumOverCapacity), crashed tasks are relaunched
// with backoff, unhealthy ones are killed by the health checker. A deployment succeeds when every task runs
// the new config and is running + healthy (or just running without health checks). It never fails on its own:
// only cancellation (DELETE /v2/deployments, a forced update, DELETE of the app) ends it with deployment_failed.

import { daemonMessage, type DockerRunner, type ContainerState, type LaunchSpec } from './docker-runner.js';
import type { EventBus } from './events.js';
import type { Faults } from './faults.js';
import type { Features } from './features.js';
import { applyOutcome, HealthChecker, type ProbeOutcome } from './health.js';
import { healthCheckJson, rootGroupJson, servicePortsOf, stepsJson, taskHealthy } from './render.js';
import type {
  ActionName,
  AppDef,
  AppRecord,
  AppSnapshot,
  Deployment,
  DeploymentKind,
  HttpError,
  TaskRecord,
} from './types.js';
import type { ValidatedApp } from './validation.js';
import { OFFER_INTERVAL_MS, type Agent, type Placed } from './agents.js';
import { LaunchStats, offerRound } from './queue.js';
import { HostPortAllocator, VersionClock, isoNow, safeAppId, sleep, uuid } from './util.js';

const ACTION: Record<Exclude<DeploymentKind, 'noop'>, ActionName> = {
  start: 'StartApplication',
  scale: 'ScaleApplication',
  restart: 'RestartApplication',
  stop: 'StopApplication',
  lock: 'RestartApplication',
};
const CONDITION: Record<string, string> = {
  TASK_RUNNING: 'Running',
  TASK_STARTING: 'Starting',
  TASK_UNREACHABLE: 'Unreachable',
  TASK_FAILED: 'Failed',
  TASK_FINISHED: 'Finished',
  TASK_KILLED: 'Killed',
};
const LOCKED_MESSAGE =
  "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.";
const CANCELLED = 'The upgrade has been cancelled';
const STARTING_MS = 300;

export interface SchedulerDeps {
  f: Features;
  runner: DockerRunner;
  bus: EventBus;
  faults: Faults;
  /** Image for apps without container.docker (Mesos command tasks). */
  commandImage: string;
  agents: Agent[];
  containerNamePrefix: string;
}

export interface ApiContext {
  clientIp: string;
  uri: string;
}

const snap = (a: AppSnapshot): AppSnapshot => ({ def: a.def, raw: a.raw, version: a.version, versionInfo: { ...a.versionInfo } });
const configKey = (d: AppDef): string => JSON.stringify({ ...d, instances: 0 });
const notFound = (id: string): HttpError => ({ status: 404, body: { message: `App '${id}' does not exist` } });
/** Scala's Double.toString, as used for MARATHON_APP_RESOURCE_* ("1.0", "0.25"). */
const scalaDouble = (n: number): string => (Number.isInteger(n) ? `${n}.0` : String(n));

export class Scheduler {
  readonly apps = new Map<string, AppRecord>();
  readonly deployments = new Map<string, Deployment>();
  /** Deleted apps whose tasks are still being killed, by the id of their StopApplication deployment. */
  private readonly stopping = new Map<string, AppRecord>();
  /** Agent ids partitioned away (setAgentReachable). */
  private readonly unreachable = new Set<string>();
  private readonly clock = new VersionClock();
  private readonly hostPorts = new HostPortAllocator();
  private readonly health: HealthChecker;
  private readonly inflight = new Set<Promise<unknown>>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private again = false;
  private closed = false;
  /** Docker errors the loop survived, for diagnosis. */
  readonly errors: string[] = [];

  constructor(private readonly deps: SchedulerDeps) {
    this.health = new HealthChecker(deps.runner, {
      forcedFailure: () => (deps.faults.hang ? 'TimeoutException: health check timed out (marathon-standin hangDeployments)' : undefined),
      onOutcome: (t, i, o) => this.onHealthOutcome(t, i, o),
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 500);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.health.stopAll();
    const deadline = new Promise((r) => setTimeout(r, 30_000).unref());
    await Promise.race([Promise.allSettled([...this.inflight]), deadline]);
    await this.deps.runner.removeAll();
  }

  // ------------------------------------------------------------------ queries

  deploymentIdsFor(appId: string): string[] {
    return [...this.deployments.values()].filter((d) => d.appId === appId).map((d) => d.id);
  }

  private rootSnapshot(): AppSnapshot[] {
    return [...this.apps.values()].map(snap);
  }

  // ------------------------------------------------------------------ API operations

  private locked(appId: string, force: boolean): HttpError | undefined {
    const locks = [...this.deployments.values()].filter((d) => d.appId === appId);
    if (!locks.length) return undefined;
    if (!force) return { status: 409, body: { message: LOCKED_MESSAGE, deployments: locks.map((d) => ({ id: d.id })) } };
    for (const d of locks) this.cancel(d);
    return undefined;
  }

  /** POST /v2/apps (and PUT of a missing app). */
  create(v: ValidatedApp, force: boolean, ctx: ApiContext): HttpError | { app: AppRecord; deployment: Deployment } {
    const id = v.def.id;
    if (this.apps.has(id)) return { status: 409, body: { message: `An app with id [${id}] already exists.` } };
    const conflict = this.locked(id, force);
    if (conflict) return conflict;
    const before = this.rootSnapshot();
    const version = this.clock.next();
    this.assignServicePorts(v.def);
    const app: AppRecord = {
      def: v.def,
      raw: v.raw,
      version,
      versionInfo: { lastScalingAt: version, lastConfigChangeAt: version },
      tasks: [],
      launchFailures: 0,
      launchDelayUntil: 0,
      history: new Map(),
    };
    app.history.set(version, snap(app));
    this.apps.set(id, app);
    this.apiEvents(app, ctx);
    return { app, deployment: this.startDeployment('start', id, null, snap(app), version, before) };
  }

  /** PUT /v2/apps/{id}: update, or create when missing. */
  update(v: ValidatedApp, force: boolean, ctx: ApiContext): HttpError | { created: boolean; deployment: Deployment } {
    const existing = this.apps.get(v.def.id);
    if (!existing) {
      const r = this.create(v, force, ctx);
      return 'status' in r ? r : { created: true, deployment: r.deployment };
    }
    const conflict = this.locked(v.def.id, force);
    if (conflict) return conflict;
    const before = this.rootSnapshot();
    this.assignServicePorts(v.def, existing.def);
    const d = this.applyChange(existing, v.def, v.raw, this.clock.next(), before);
    this.apiEvents(existing, ctx);
    return { created: false, deployment: d };
  }

  /** PUT /v2/apps/{id} with only {"version": ts}: roll back to a stored version. */
  rollback(appId: string, version: string, force: boolean): HttpError | Deployment {
    const app = this.apps.get(appId);
    if (!app) return notFound(appId);
    const old = app.history.get(version);
    if (!old) return { status: 404, body: { message: `App '${appId}' does not exist in version ${version}` } };
    const conflict = this.locked(appId, force);
    if (conflict) return conflict;
    return this.applyChange(app, old.def, old.raw, this.clock.next(), this.rootSnapshot(), old.versionInfo.lastConfigChangeAt);
  }

  /** DELETE /v2/apps/{id} (force defaults to true at the HTTP layer, §1.1). */
  destroy(appId: string, force: boolean): HttpError | Deployment {
    const app = this.apps.get(appId);
    if (!app) return notFound(appId);
    const conflict = this.locked(appId, force);
    if (conflict) return conflict;
    return this.stopApp(app);
  }

  private stopApp(app: AppRecord): Deployment {
    const before = this.rootSnapshot();
    this.apps.delete(app.def.id);
    const version = this.clock.next();
    this.deps.bus.publish('group_change_success', { groupId: '/', version });
    const d = this.startDeployment('stop', app.def.id, snap(app), null, version, before);
    this.stopping.set(d.id, app);
    for (const t of [...app.tasks]) this.killTask(t, 'KILLED');
    return d;
  }

  /** DELETE /v2/deployments/{id}: cancel; without force also roll the change back (§3). */
  cancelDeployment(id: string, force: boolean): HttpError | { rollback?: Deployment } {
    const d = this.deployments.get(id);
    if (!d) return { status: 404, body: { message: `DeploymentPlan ${id} does not exist` } };
    this.cancel(d);
    if (force) return {};
    for (const other of [...this.deployments.values()].filter((x) => x.appId === d.appId)) this.cancel(other);
    const before = this.rootSnapshot();
    const current = this.apps.get(d.appId);
    const version = this.clock.next();
    if (d.kind === 'lock' || (!d.original && !current)) return { rollback: this.startDeployment('noop', d.appId, null, null, version, before) };
    if (!d.original && current) return { rollback: this.stopApp(current) };
    if (d.original && !current) {
      const o = d.original;
      const app: AppRecord = {
        ...snap(o),
        version,
        versionInfo: { lastConfigChangeAt: o.versionInfo.lastConfigChangeAt, lastScalingAt: version },
        tasks: [],
        launchFailures: 0,
        launchDelayUntil: 0,
        history: new Map([[version, o]]),
      };
      this.apps.set(d.appId, app);
      return { rollback: this.startDeployment('start', d.appId, null, snap(app), version, before) };
    }
    const o = d.original!;
    return { rollback: this.applyChange(current!, o.def, o.raw, version, before, o.versionInfo.lastConfigChangeAt) };
  }

  /** Fault: a deployment on `appId` that never finishes by itself (until unlock or cancel). */
  lock(appId: string): string {
    const app = this.apps.get(appId);
    const s = app ? snap(app) : null;
    const before = this.rootSnapshot();
    return this.startDeployment('lock', appId, s, s, app?.version ?? this.clock.next(), before).id;
  }

  /** DELETE /v2/apps/{id}/tasks[/{taskId}], POST /v2/tasks/delete: kill; without scale Marathon replaces them,
   *  with scale the instance count drops by as many in a ScaleApplication deployment (returned) —
   *  follows src/main/scala/mesosphere/marathon/api/TaskKiller.scala (kill, killAndScale). */
  killTasks(app: AppRecord, tasks: TaskRecord[], scale: boolean, force: boolean): HttpError | Deployment | undefined {
    if (!scale) {
      for (const t of tasks) this.killTask(t, 'KILLED');
      return undefined;
    }
    const conflict = this.locked(app.def.id, force);
    if (conflict) return conflict;
    const before = this.rootSnapshot();
    for (const t of tasks) this.killTask(t, 'KILLED');
    const instances = Math.max(0, app.def.instances - tasks.length);
    return this.applyChange(app, { ...app.def, instances }, { ...app.raw, instances }, this.clock.next(), before);
  }

  /** Fault: the agent is partitioned away (its tasks TASK_UNREACHABLE, not healthy, not replaced while
   *  inactiveAfterSeconds runs; no offers from it) or back (TASK_RUNNING again) — partition awareness of
   *  src/main/scala/mesosphere/marathon/core/condition/Condition.scala (Unreachable, Starting). */
  setAgentReachable(hostname: string, reachable: boolean): void {
    const agent = this.deps.agents.find((a) => a.hostname === hostname);
    if (!agent) throw new Error(`marathon-standin: no agent ${hostname}`);
    this.unreachable[reachable ? 'delete' : 'add'](agent.id);
    for (const t of [...this.apps.values()].flatMap((a) => a.tasks)) {
      if (t.agentId !== agent.id || t.killing) continue;
      if (!reachable && t.state === 'TASK_RUNNING') {
        t.state = 'TASK_UNREACHABLE';
        this.health.stop(t.id);
        t.health = [];
        this.statusUpdate(t, 'TASK_UNREACHABLE', 'Agent unreachable (marathon-standin)');
      } else if (reachable && t.state === 'TASK_UNREACHABLE') {
        t.state = 'TASK_RUNNING';
        this.statusUpdate(t, 'TASK_RUNNING', '');
        this.health.start(t);
      }
    }
    this.kick();
  }

  /** DELETE /v2/queue/{id}/delay: launch again at once. */
  resetDelay(app: AppRecord): void {
    app.launchDelayUntil = 0;
    this.kick();
  }

  unlock(appId: string): void {
    for (const d of [...this.deployments.values()]) if (d.appId === appId && d.kind === 'lock') this.finish(d);
  }

  private applyChange(app: AppRecord, def: AppDef, raw: Record<string, unknown>, version: string, before: AppSnapshot[], configVersion?: string): Deployment {
    const original = snap(app);
    const configChanged = configKey(app.def) !== configKey(def);
    const scaled = app.def.instances !== def.instances;
    app.def = def;
    app.raw = raw;
    app.version = version;
    app.versionInfo = {
      lastConfigChangeAt: configChanged ? (configVersion ?? version) : app.versionInfo.lastConfigChangeAt,
      lastScalingAt: configChanged || scaled ? version : app.versionInfo.lastScalingAt,
    };
    if (configChanged) Object.assign(app, { launchFailures: 0, launchDelayUntil: 0 });
    app.history.set(version, snap(app));
    const kind: DeploymentKind = configChanged ? 'restart' : scaled ? 'scale' : 'noop';
    return this.startDeployment(kind, def.id, original, snap(app), version, before);
  }

  private assignServicePorts(def: AppDef, previous?: AppDef): void {
    const used = new Set<number>();
    for (const a of this.apps.values()) if (a.def.id !== def.id) servicePortsOf(a.def).forEach((p) => used.add(p));
    const prev = previous ? servicePortsOf(previous) : [];
    const pick = (i: number): number => {
      const reuse = prev[i];
      if (reuse && !used.has(reuse)) return reuse;
      for (let p = 10000; p <= 20000; p++) if (!used.has(p)) return p;
      throw new Error('marathon-standin: service port range 10000-20000 exhausted');
    };
    def.portMappings.forEach((m, i) => {
      if (m.servicePort === 0) used.add((m.servicePort = pick(i)));
    });
    def.portDefinitions.forEach((d, i) => {
      if (d.port === 0) used.add((d.port = pick(i)));
    });
  }

  private apiEvents(app: AppRecord, ctx: ApiContext): void {
    this.deps.bus.publish('api_post_event', { clientIp: ctx.clientIp, uri: ctx.uri, appDefinition: { id: app.def.id, version: app.version } });
    this.deps.bus.publish('group_change_success', { groupId: '/', version: app.version });
  }

  // ------------------------------------------------------------------ deployments

  private plan(d: Deployment, heavy: boolean): Record<string, unknown> {
    const light = { id: d.id, steps: stepsJson(d), version: d.version };
    if (!heavy) return light;
    const { f } = this.deps;
    return { id: d.id, original: rootGroupJson(d.before, d.version, f), target: rootGroupJson(d.after, d.version, f), steps: light.steps, version: d.version };
  }

  private emitDeployment(type: string, d: Deployment, extra: Record<string, unknown> = {}): void {
    const idField = type === 'deployment_success' || type === 'deployment_failed' ? { id: d.id } : {};
    this.deps.bus.publish(type, { ...idField, plan: this.plan(d, false), ...extra }, { plan: this.plan(d, true) });
  }

  private startDeployment(
    kind: DeploymentKind,
    appId: string,
    original: AppSnapshot | null,
    target: AppSnapshot | null,
    version: string,
    before: AppSnapshot[],
  ): Deployment {
    const steps = kind === 'noop' ? [] : [[{ action: ACTION[kind], app: appId }]];
    const d: Deployment = { id: uuid(), version, appId, kind, steps, currentStep: steps.length ? 1 : 0, original, target, before, after: this.rootSnapshot() };
    this.deployments.set(d.id, d);
    if (steps.length) this.emitDeployment('deployment_info', d, { currentStep: stepsJson(d)[0] });
    this.kick();
    return d;
  }

  private finish(d: Deployment): void {
    if (!this.deployments.delete(d.id)) return;
    if (this.deps.faults.flap && d.kind !== 'stop') this.startFlapping(d.appId);
    if (d.steps.length) this.emitDeployment('deployment_step_success', d, { currentStep: stepsJson(d)[d.steps.length - 1] });
    this.emitDeployment('deployment_success', d);
  }

  /** Fault flapAfterDeployment: healthy long enough to finish the deployment, failing from then on. */
  private startFlapping(appId: string): void {
    const now = new Date().toISOString();
    for (const t of this.apps.get(appId)?.tasks ?? []) {
      t.health = t.health.map((h) => h && { ...h, alive: false, consecutiveFailures: 1, lastFailure: now, lastFailureCause: 'ConnectException: Connection refused (marathon-standin flapping)' });
    }
    this.deps.faults.hang = true;
  }

  private cancel(d: Deployment): void {
    if (!this.deployments.delete(d.id)) return;
    this.emitDeployment('deployment_failed', d, this.deps.f.failedReason ? { reason: CANCELLED } : {});
  }

  private converged(app: AppRecord): boolean {
    const cfg = app.versionInfo.lastConfigChangeAt;
    return app.tasks.length === app.def.instances && app.tasks.every((t) => !t.killing && t.configVersion === cfg && this.ready(t));
  }

  private ready(t: TaskRecord): boolean {
    return t.state === 'TASK_RUNNING' && !t.killing && (t.def.healthChecks.length === 0 || taskHealthy(t));
  }

  private checkDeployments(): void {
    for (const d of [...this.deployments.values()]) {
      if (d.kind === 'noop') this.finish(d);
      else if (d.kind === 'stop') {
        if ((this.stopping.get(d.id)?.tasks.length ?? 0) > 0) continue;
        this.stopping.delete(d.id);
        this.deps.bus.publish('app_terminated_event', { appId: d.appId });
        this.finish(d);
      } else if (d.kind !== 'lock') {
        const app = this.apps.get(d.appId);
        if (app && !this.deps.faults.hang && this.converged(app)) this.finish(d);
      }
    }
    for (const [id, rec] of this.stopping) if (!this.deployments.has(id) && rec.tasks.length === 0) this.stopping.delete(id);
  }

  // ------------------------------------------------------------------ the loop

  kick(): void {
    if (!this.closed) setImmediate(() => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        const listedAt = Date.now();
        let states: Map<string, ContainerState> | undefined;
        const anyTask = [...this.apps.values(), ...this.stopping.values()].some((a) => a.tasks.length > 0);
        try {
          if (anyTask) states = await this.deps.runner.states();
        } catch (e) {
          this.note(e);
        }
        if (this.closed) return;
        if (states) this.detectExits(states, listedAt);
        for (const app of this.apps.values()) this.reconcile(app);
        this.checkDeployments();
      } while (this.again && !this.closed);
    } finally {
      this.ticking = false;
    }
  }

  private note(e: unknown): void {
    this.errors.push(daemonMessage(e));
    if (this.errors.length > 100) this.errors.shift();
  }

  private reconcile(app: AppRecord): void {
    const n = app.def.instances;
    const alive = app.tasks.filter((t) => !t.killing);
    const cfg = app.versionInfo.lastConfigChangeAt;
    const current = alive.filter((t) => t.configVersion === cfg);
    let old = alive.filter((t) => t.configVersion !== cfg);
    const canLaunch = Date.now() >= app.launchDelayUntil;
    const driving = [...this.deployments.values()].some((d) => d.appId === app.def.id && (d.kind === 'start' || d.kind === 'scale' || d.kind === 'restart'));
    if (!driving) {
      // Outside deployments Marathon only keeps the instance count up (relaunching failed tasks).
      this.place(app, n - alive.length, canLaunch);
      return;
    }
    if (current.length > n) {
      const byAge = [...current].sort((a, b) => a.stagedAt.localeCompare(b.stagedAt));
      const victims = app.def.killSelection === 'OLDEST_FIRST' ? byAge : byAge.reverse();
      victims.slice(0, current.length - n).forEach((t) => this.killTask(t, 'KILLED'));
    }
    const readyNew = current.filter((t) => this.ready(t)).length;
    const keepOld = Math.max(0, Math.ceil(n * app.def.upgradeStrategy.minimumHealthCapacity) - readyNew);
    if (old.length > keepOld) {
      const victims = [...old].sort((a, b) => a.stagedAt.localeCompare(b.stagedAt)).slice(0, old.length - keepOld);
      victims.forEach((t) => this.killTask(t, 'KILLED'));
      old = old.filter((t) => !victims.includes(t));
    }
    const maxTotal = n + Math.floor(n * app.def.upgradeStrategy.maximumOverCapacity);
    const room = Math.min(n - Math.min(current.length, n), maxTotal - Math.min(current.length, n) - old.length);
    this.place(app, room, canLaunch);
  }

  /** What is placed where, for offer matching (tasks of deleted apps still being killed hold resources too). */
  private readonly placed: Placed = {
    onAgent: (agentId) => [...this.apps.values(), ...this.stopping.values()].flatMap((a) => a.tasks).filter((t) => t.agentId === agentId).map((t) => t.def),
    agentsOf: (appId) =>
      (this.apps.get(appId)?.tasks ?? []).filter((t) => !t.killing).flatMap((t) => this.deps.agents.filter((a) => a.id === t.agentId)),
  };

  /** `count` instances to launch: offered to the agents (at most one round per OFFER_INTERVAL_MS while offers
   *  are declined); what no offer fits stays in the launch queue with the reasons. */
  private place(app: AppRecord, count: number, canLaunch: boolean): void {
    if (count <= 0) return void delete app.launch;
    const stats = (app.launch ??= new LaunchStats());
    stats.leftToLaunch = count;
    if (!canLaunch) return;
    if (stats.unused > 0 && Date.now() - stats.lastRound < OFFER_INTERVAL_MS) return;
    const offering = this.deps.agents.filter((a) => !this.unreachable.has(a.id));
    const agents = offerRound(stats, app.def, offering, this.placed, count);
    stats.leftToLaunch = count - agents.length;
    for (const agent of agents) this.launch(app, agent);
    if (stats.leftToLaunch === 0) delete app.launch;
  }

  private track<T>(p: Promise<T>): void {
    const q = p.catch((e) => this.note(e)).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  private owner(t: TaskRecord): AppRecord | undefined {
    for (const rec of [...this.apps.values(), ...this.stopping.values()]) if (rec.tasks.includes(t)) return rec;
    return undefined;
  }

  private removeTask(t: TaskRecord): AppRecord | undefined {
    const rec = this.owner(t);
    if (rec) rec.tasks = rec.tasks.filter((x) => x !== t);
    this.health.stop(t.id);
    this.hostPorts.release(t.ports);
    return rec;
  }

  private backoff(rec: AppRecord): void {
    rec.launchFailures++;
    const delay = Math.min(rec.def.backoffSeconds * rec.def.backoffFactor ** (rec.launchFailures - 1), rec.def.maxLaunchDelaySeconds);
    rec.launchDelayUntil = Date.now() + delay * 1000;
  }

  private statusUpdate(t: TaskRecord, status: string, message: string): void {
    const { bus, f } = this.deps;
    bus.publish('status_update_event', {
      slaveId: t.agentId,
      taskId: t.id,
      taskStatus: status,
      message,
      appId: t.appId,
      host: t.host,
      ipAddresses: t.ipAddresses,
      ports: t.ports,
      version: t.version,
    });
    const condition = CONDITION[status];
    if (f.v14 && condition)
      bus.publish('instance_changed_event', { instanceId: t.instanceId, condition, runSpecId: t.appId, agentId: t.agentId, host: t.host, runSpecVersion: t.version });
  }

  private failed(rec: AppRecord | undefined, t: TaskRecord, state: string, message: string): void {
    this.statusUpdate(t, state, message);
    if (!rec) return;
    if (state === 'TASK_FAILED')
      rec.lastTaskFailure = { appId: t.appId, host: t.host, message, state, taskId: t.id, timestamp: isoNow(), version: t.version, slaveId: t.agentId };
    this.backoff(rec);
  }

  private detectExits(states: Map<string, ContainerState>, listedAt: number): void {
    for (const rec of [...this.apps.values(), ...this.stopping.values()]) {
      for (const t of [...rec.tasks]) {
        if (t.state !== 'TASK_RUNNING' || t.killing || !t.containerId) continue;
        if (!t.startedAt || Date.parse(t.startedAt) >= listedAt) continue; // launched after the listing began
        const s = states.get(t.containerId);
        if (s?.running) continue;
        this.removeTask(t);
        const state = s?.exitCode === 0 ? 'TASK_FINISHED' : 'TASK_FAILED';
        const message = s ? `Container exited with status ${s.exitCode ?? 'unknown'}` : 'Container disappeared';
        this.failed(rec, t, state, message);
        this.track(this.deps.runner.remove(t.containerId));
      }
    }
  }

  private launch(app: AppRecord, agent: Agent): void {
    const { f } = this.deps;
    const safe = safeAppId(app.def.id);
    {
      const uid = uuid();
      const instanceId = f.v18 ? `${safe}.instance-${uid}` : `${safe}.marathon-${uid}`;
      const t: TaskRecord = {
        id: f.v18 ? `${instanceId}._app.1` : `${safe}.${uid}`,
        instanceId,
        appId: app.def.id,
        version: app.version,
        configVersion: app.versionInfo.lastConfigChangeAt,
        def: app.def,
        state: 'TASK_STAGING',
        stagedAt: isoNow(),
        host: agent.hostname,
        agentId: agent.id,
        agentIp: agent.ip,
        ports: [],
        servicePorts: servicePortsOf(app.def),
        ipAddresses: [],
        containerName: `${this.deps.containerNamePrefix}-${uid}`,
        health: [],
        killing: false,
      };
      app.tasks.push(t);
      this.track(this.launchTask(t));
    }
  }

  private async launchTask(t: TaskRecord): Promise<void> {
    const { runner, commandImage } = this.deps;
    const def = t.def;
    try {
      const hostMode = def.networks.some((n) => n.mode === 'host');
      const publish: LaunchSpec['publish'] = [];
      if (hostMode) {
        // Host networking is simulated: the task must bind $PORTn, which is published 1:1 on the agent's address.
        for (const pd of def.portDefinitions) {
          const port = def.requirePorts ? pd.port : await this.hostPorts.allocate(t.agentIp);
          t.ports.push(port);
          publish.push({ containerPort: port, hostPort: port, protocol: pd.protocol });
        }
      } else {
        for (const m of def.portMappings) {
          if (m.hostPort === undefined) continue;
          const port = m.hostPort === 0 ? await this.hostPorts.allocate(t.agentIp) : m.hostPort;
          t.ports.push(port);
          publish.push({ containerPort: m.containerPort || port, hostPort: port, protocol: m.protocol });
        }
      }
      if (this.closed || t.killing) throw new Error('killed before launch');
      const spec: LaunchSpec = {
        name: t.containerName,
        image: def.container?.docker?.image ?? commandImage,
        env: this.taskEnv(t),
        labels: { ...def.labels, ...runner.labelsFor(def.id, t.id) },
        publish,
        hostIp: t.agentIp,
        ...(def.cmd !== undefined ? { cmd: def.cmd } : {}),
        ...(def.args !== undefined ? { args: def.args } : {}),
      };
      const { id, ipAddress } = await runner.launch(spec);
      t.containerId = id;
      if (this.closed) return void (await runner.remove(id));
      if (t.killing) return void (await this.completeKill(t, 'TASK_KILLED'));
      if (this.deps.f.unreachableStates) {
        // The executor reports TASK_STARTING once the container is up, TASK_RUNNING a moment later (Mesos).
        t.state = 'TASK_STARTING';
        this.statusUpdate(t, 'TASK_STARTING', '');
        await sleep(STARTING_MS);
        if (this.closed) return;
        if (t.killing) return void (await this.completeKill(t, 'TASK_KILLED'));
      }
      t.state = 'TASK_RUNNING';
      t.startedAt = isoNow();
      t.ipAddresses = ipAddress ? [{ ipAddress, protocol: 'IPv4' }] : [];
      this.statusUpdate(t, 'TASK_RUNNING', '');
      this.health.start(t);
      this.kick();
    } catch (e) {
      const rec = this.removeTask(t);
      if (this.closed) return;
      if (t.killing) this.statusUpdate(t, 'TASK_KILLED', '');
      else this.failed(rec, t, 'TASK_FAILED', `Failed to launch container: ${daemonMessage(e)}`);
      this.kick();
    }
  }

  /** Environment of a task: Marathon's task variables (ports, ids, resources, labels), then the app's env. */
  private taskEnv(t: TaskRecord): Record<string, string> {
    const def = t.def;
    const env: Record<string, string> = {};
    const hostMode = def.networks.some((n) => n.mode === 'host');
    const declared = hostMode
      ? def.portDefinitions.map((p) => ({ port: p.port, name: p.name }))
      : def.portMappings.filter((m) => m.hostPort !== undefined).map((m) => ({ port: m.containerPort, name: m.name }));
    t.ports.forEach((hostPort, i) => {
      env[`PORT${i}`] = String(hostPort);
      const d = declared[i];
      if (d?.port) env[`PORT_${d.port}`] = String(hostPort);
      if (d?.name) env[`PORT_${d.name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`] = String(hostPort);
    });
    if (t.ports.length) {
      env.PORT = String(t.ports[0]);
      env.PORTS = t.ports.join(',');
    }
    env.HOST = t.host;
    env.MESOS_TASK_ID = t.id;
    env.MARATHON_APP_ID = def.id;
    env.MARATHON_APP_VERSION = t.version;
    if (def.container?.docker) env.MARATHON_APP_DOCKER_IMAGE = def.container.docker.image;
    env.MARATHON_APP_RESOURCE_CPUS = scalaDouble(def.cpus);
    env.MARATHON_APP_RESOURCE_MEM = scalaDouble(def.mem);
    env.MARATHON_APP_RESOURCE_DISK = scalaDouble(def.disk);
    env.MARATHON_APP_RESOURCE_GPUS = String(def.gpus);
    const labelKeys = Object.keys(def.labels).filter((k) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k));
    env.MARATHON_APP_LABELS = labelKeys.join(' ');
    for (const k of labelKeys) env[`MARATHON_APP_LABEL_${k.toUpperCase()}`] = def.labels[k] ?? '';
    for (const [k, v] of Object.entries(def.env)) if (typeof v === 'string') env[k] = v; // secrets cannot be resolved here
    return env;
  }

  private killTask(t: TaskRecord, _why: 'KILLED' | 'UNHEALTHY'): void {
    if (t.killing) return;
    t.killing = true;
    this.health.stop(t.id);
    if (t.containerId) this.track(this.completeKill(t, 'TASK_KILLED'));
    // a task still staging is killed by launchTask once its container exists
  }

  private async completeKill(t: TaskRecord, status: string): Promise<void> {
    const grace = Math.min(t.def.taskKillGracePeriodSeconds ?? 0, 30);
    try {
      if (t.containerId) await this.deps.runner.kill(t.containerId, grace);
    } finally {
      this.removeTask(t);
      if (!this.closed) this.statusUpdate(t, status, '');
      this.kick();
    }
  }

  private onHealthOutcome(t: TaskRecord, i: number, outcome: ProbeOutcome): void {
    const h = t.def.healthChecks[i];
    if (!h || t.killing || this.closed) return;
    const { bus, f } = this.deps;
    const u = applyOutcome(h, t, t.health[i], outcome);
    if (!u.result) return;
    const wasHealthy = taskHealthy(t);
    t.health[i] = u.result;
    const taskRef = f.v14 ? { instanceId: t.instanceId } : { taskId: t.id };
    if (!outcome.ok) bus.publish('failed_health_check_event', { appId: t.appId, taskId: f.v14 ? t.instanceId : t.id, healthCheck: healthCheckJson(h, f) });
    if (u.aliveChanged) bus.publish('health_status_changed_event', { appId: t.appId, ...taskRef, version: t.version, alive: u.result.alive });
    if (f.v14 && taskHealthy(t) !== wasHealthy)
      bus.publish('instance_health_changed_event', { instanceId: t.instanceId, runSpecId: t.appId, runSpecVersion: t.version, healthy: taskHealthy(t) });
    if (u.kill) {
      const reason = `${h.protocol} health check failed ${u.result.consecutiveFailures} times: ${u.result.lastFailureCause ?? ''}`.trim();
      const common = { appId: t.appId, taskId: t.id, version: t.version, reason, host: t.host, slaveId: t.agentId };
      if (f.v14) bus.publish('unhealthy_instance_kill_event', { ...common, instanceId: t.instanceId });
      else bus.publish('unhealthy_task_kill_event', common);
      const rec = this.owner(t);
      if (rec) this.backoff(rec);
      this.killTask(t, 'UNHEALTHY');
    }
    this.kick();
  }
}
