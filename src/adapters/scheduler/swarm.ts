import type { SwarmConfig } from '../../core/config/schema.js';
import type { Backend, EnvironmentInfo, InstanceInfo, InstanceState } from '../../core/deploy/environment.js';
import { ENV_LABELS } from '../../core/deploy/spec.js';
import { PreconditionError, StepFailedError } from '../../core/errors.js';
import { LABELS } from '../../core/image-ref.js';
import { swarmServiceName, swarmServiceSpec } from '../../core/swarm/service-spec.js';
import { currentTasks, describeTask, lastFailure, taskBackend, taskRunState } from '../../core/swarm/tasks.js';
import type { Clock } from '../../ports/clock.js';
import type { SchedulerPort } from '../../ports/scheduler.js';
import type { SwarmNode, SwarmPort, SwarmService, SwarmTask } from '../../ports/swarm.js';
import { describeProbe, HealthGate, healthRounds, probeHttp, type ProbeResult } from './health.js';

// The swarm scheduler: an environment is one replicated service `<app>-<sha12>` whose tasks publish
// the app's port in host mode, so each running task is a backend at its node's swarm address and
// the port that node picked. Swarm keeps tasks running; deployer gates on its own HTTP checks through
// those published ports (the docker scheduler's rule, HealthGate) and reads the task states for the
// diagnosis. Everything is rebuilt from the swarm's labels: no state file.

export interface SwarmSchedulerOptions {
  swarm: SwarmPort;
  config: SwarmConfig;
  /** For people: `local engine` or DOCKER_HOST. */
  endpoint: string;
  clock: Clock;
  /** Probe timeout for list/get (deploy uses healthCheck.timeoutSeconds). */
  probeTimeoutMs?: number;
  /** Log lines of each failing task in a diagnosis. */
  logLines?: number;
  /** How long destroy waits for the tasks' containers to stop. */
  destroyWaitMs?: number;
  pollMs?: number;
}

interface Slot {
  /** `<service>.<slot>`, as `docker service ps` names it. */
  name: string;
  slot: number;
  task?: SwarmTask;
  backend?: Backend;
  probe?: ProbeResult;
  state: InstanceState;
}

interface Observed {
  tasks: SwarmTask[];
  nodes: Map<string, SwarmNode>;
}

/** Not yet stopped: what destroy waits for. */
const STOPPED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);

export function swarmScheduler(opts: SwarmSchedulerOptions): SchedulerPort {
  const { swarm, clock } = opts;
  const logLines = opts.logLines ?? 10;
  const pollMs = opts.pollMs ?? 500;

  async function observe(service: SwarmService): Promise<Observed> {
    const labels = { [LABELS.app]: service.labels[LABELS.app] ?? '', [LABELS.revision]: service.labels[LABELS.revision] ?? '' };
    const [tasks, nodes] = await Promise.all([swarm.listTasks(labels), swarm.listNodes()]);
    return { tasks: tasks.filter((t) => t.serviceId === service.id), nodes: new Map(nodes.map((n) => [n.id, n])) };
  }

  /** One entry per replica: the slot's current task, or none yet. */
  function slotsOf(service: SwarmService, o: Observed, port: number): Omit<Slot, 'state' | 'probe'>[] {
    const current = new Map(currentTasks(o.tasks).map((t) => [t.slot, t]));
    const count = Math.max(service.replicas, ...current.keys());
    return Array.from({ length: count }, (_, i) => {
      const task = current.get(i + 1);
      const backend = task ? taskBackend(task, o.nodes, port) : undefined;
      return { name: `${service.name}.${i + 1}`, slot: i + 1, ...(task ? { task } : {}), ...(backend ? { backend } : {}) };
    });
  }

  const portOf = (service: SwarmService) => Number(service.labels[ENV_LABELS.port] ?? 0);

  function toEnvironment(service: SwarmService, slots: Slot[]): EnvironmentInfo {
    const instances: InstanceInfo[] = slots.map((s) => ({
      id: s.name,
      state: s.state,
      ...(s.backend ? { backend: s.backend } : {}),
      lastHealth: s.probe ? describeProbe(s.probe) : s.task ? `task ${describeTask(s.task)}` : 'no task yet',
    }));
    const healthy = instances.filter((i) => i.state === 'healthy');
    return {
      revision: service.labels[LABELS.revision] ?? '',
      id: service.name,
      image: service.image,
      wanted: service.replicas,
      instances,
      backends: healthy.flatMap((i) => (i.backend ? [i.backend] : [])),
      healthy: healthy.length,
      createdAt: service.createdAt,
    };
  }

  /** One probe of every running task, for list/get. */
  async function snapshot(service: SwarmService): Promise<EnvironmentInfo> {
    const o = await observe(service);
    const path = service.labels[ENV_LABELS.healthPath] ?? '/';
    const slots = await Promise.all(slotsOf(service, o, portOf(service)).map(async (s): Promise<Slot> => {
      const run = s.task ? taskRunState(s.task) : 'starting';
      if (run) return { ...s, state: run };
      if (!s.backend) return { ...s, state: 'unknown' };
      const probe = await probeHttp(s.backend.host, s.backend.port, path, opts.probeTimeoutMs ?? 2000);
      return { ...s, probe, state: probe.ok ? 'healthy' : 'unhealthy' };
    }));
    return toEnvironment(service, slots);
  }

  async function diagnosis(service: SwarmService, slots: Slot[], o: Observed): Promise<string[]> {
    const counts = new Map<string, number>();
    for (const t of o.tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const lines = [`service ${service.name}: ${slots.filter((s) => s.state === 'healthy').length}/${service.replicas} healthy; tasks ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`];
    for (const s of slots) {
      const node = s.task?.nodeId ? o.nodes.get(s.task.nodeId) : undefined;
      const where = `${node ? ` on ${node.hostname}` : ''}${s.backend ? ` ${s.backend.host}:${s.backend.port}` : ''}`;
      const task = s.task ? `task ${describeTask(s.task)}` : 'no task yet';
      lines.push(`${s.name}${where}: ${s.state} — ${task}, last health check ${describeProbe(s.probe)}`);
      if (s.state === 'healthy') continue;
      const failed = lastFailure(o.tasks, s.slot);
      const replaced = o.tasks.filter((t) => t.slot === s.slot && t.id !== s.task?.id).length;
      if (failed && failed.id !== s.task?.id) lines.push(`  last failed task: ${describeTask(failed)}${replaced ? ` (replaced ${replaced}×)` : ''}`);
      // The current task may not have started yet: then the failed one's output explains it.
      const from = [s.task, failed].filter((t): t is SwarmTask => t !== undefined);
      let tail: string[] = [];
      for (const t of from) {
        tail = (await swarm.taskLogs(t.id, logLines).catch(() => '')).split('\n').filter((l) => l.trim());
        if (tail.length) break;
      }
      lines.push(...(tail.length ? tail.map((l) => `  | ${l}`) : ['  | (no log output)']));
    }
    return lines;
  }

  async function services(labels: Record<string, string>): Promise<SwarmService[]> {
    // Only services deploy created: they carry the replica count beside app and revision.
    return (await swarm.listServices(labels)).filter((s) => s.labels[ENV_LABELS.instances] !== undefined);
  }

  return {
    name: 'swarm',

    async about() {
      const info = await swarm.info();
      if (info.state !== 'active' || !info.manager) {
        throw new PreconditionError(`the Docker engine (${opts.endpoint}) is not a swarm manager (swarm ${info.state}${info.state === 'active' ? ', worker' : ''})`, {
          code: 'swarm.unavailable',
          hint: 'deploy.scheduler swarm needs a manager node: run `docker swarm init` there, or point DOCKER_HOST at a manager',
        });
      }
      return { endpoint: `swarm (${opts.endpoint}, ${info.nodes ?? 1} node${info.nodes === 1 ? '' : 's'})` };
    },

    async list(app) {
      return Promise.all((await services({ [LABELS.app]: app })).map(snapshot));
    },

    async get(app, revision) {
      const [service] = await services({ [LABELS.app]: app, [LABELS.revision]: revision });
      return service ? snapshot(service) : undefined;
    },

    async deploy(spec, { signal, progress, onCreated }) {
      const t0 = clock.now().getTime();
      const deadline = t0 + spec.timeoutSeconds * 1000;
      const hc = spec.healthCheck;
      const serviceSpec = swarmServiceSpec(spec, opts.config);
      onCreated?.();
      const id = await swarm.createService(serviceSpec, { signal });
      const service: SwarmService = {
        id,
        name: serviceSpec.Name,
        labels: serviceSpec.Labels,
        image: spec.image,
        replicas: spec.instances,
        createdAt: clock.now(),
      };
      progress?.(`created service ${service.name}: ${spec.instances} replica${spec.instances === 1 ? '' : 's'}, port ${spec.port} published in host mode`);

      const gate = new HealthGate(hc, clock, t0 + hc.gracePeriodSeconds * 1000);
      // Node agents report task states asynchronously: a task listed as running may have died a
      // moment ago and its host port be free, or taken by someone else's container. A task is only
      // probed once it was already running in the previous round, so a crash-looping app is never
      // mistaken for a healthy one (docs/traps.md §5).
      let runningBefore = new Set<string>();
      const reported = new Map<number, string>();
      let slots: Slot[] = [];
      let observed: Observed = { tasks: [], nodes: new Map() };
      const nextRound = healthRounds(clock, deadline, hc.intervalSeconds * 1000, progress);
      for (;;) {
        signal.throwIfAborted();
        const timeoutMs = Math.max(100, Math.min(hc.timeoutSeconds * 1000, deadline - clock.now().getTime()));
        observed = await observe(service);
        slots = await Promise.all(slotsOf(service, observed, spec.port).map(async (s): Promise<Slot> => {
          const run = s.task ? taskRunState(s.task) : 'starting';
          const previous = s.task ? gate.last(s.task.id) : undefined;
          if (run || !s.backend || !s.task || !runningBefore.has(s.task.id)) return { ...s, state: run ?? 'starting', ...(previous ? { probe: previous } : {}) };
          return { ...s, ...(await gate.check(s.task.id, s.backend.host, s.backend.port, timeoutMs, signal)) };
        }));
        runningBefore = new Set(slots.flatMap((s) => (s.task && !taskRunState(s.task) ? [s.task.id] : [])));
        signal.throwIfAborted();
        for (const s of slots) {
          if (!s.task) continue;
          const node = s.task.nodeId ? observed.nodes.get(s.task.nodeId) : undefined;
          const line = `${s.name}: task ${describeTask(s.task)}${node ? ` on ${node.hostname}` : ''}${s.backend ? ` (${s.backend.host}:${s.backend.port})` : ''}`;
          if (reported.get(s.slot) !== line) progress?.(line);
          reported.set(s.slot, line);
        }
        const healthy = slots.filter((s) => s.state === 'healthy').length;
        if (healthy === spec.instances) return toEnvironment(service, slots);
        if (!(await nextRound(healthy, spec.instances, signal))) break;
      }
      const healthy = slots.filter((s) => s.state === 'healthy').length;
      throw new StepFailedError(
        `environment ${service.name} is not healthy after ${spec.timeoutSeconds}s (${healthy}/${spec.instances} instances healthy)`,
        {
          code: 'deploy.unhealthy',
          details: await diagnosis(service, slots, await observe(service).catch(() => observed)),
          hint: `every task must answer GET ${hc.path} with 2xx/3xx on port ${spec.port}; \`docker service ps --no-trunc ${service.name}\` shows every task`,
        },
      );
    },

    async destroy(app, revision, { signal }) {
      const found = await services({ [LABELS.app]: app, [LABELS.revision]: revision });
      if (!found.length) return;
      await Promise.all(found.map((s) => swarm.removeService(s.id)));
      // Removal is asynchronous: the tasks stop (stopGracePeriodSeconds) after the service is gone,
      // and only a label filter still finds them (docs/traps.md §5).
      const ids = new Set(found.map((s) => s.id));
      const waitMs = opts.destroyWaitMs ?? 60_000;
      const until = clock.now().getTime() + waitMs;
      for (;;) {
        const left = (await swarm.listTasks({ [LABELS.app]: app, [LABELS.revision]: revision }))
          .filter((t) => ids.has(t.serviceId) && !STOPPED.has(t.state));
        if (!left.length) return;
        if (clock.now().getTime() >= until) {
          throw new StepFailedError(`swarm is still stopping ${left.length} task${left.length === 1 ? '' : 's'} of ${found.map((s) => s.name).join(', ')} after ${Math.round(waitMs / 1000)}s`, {
            code: 'swarm.slow-remove',
            hint: 'the service itself is removed; `docker ps` on the tasks\' nodes shows what is still stopping',
          });
        }
        await clock.sleep(pollMs, signal);
      }
    },
  };
}
