import { containerName, ENV_LABELS, type DeploySpec } from '../../core/deploy/spec.js';
import type { Backend, EnvironmentInfo, InstanceInfo, InstanceState } from '../../core/deploy/environment.js';
import { StepFailedError } from '../../core/errors.js';
import { LABELS, shortSha } from '../../core/image-ref.js';
import type { Clock } from '../../ports/clock.js';
import type { ContainerInfo, DockerPort } from '../../ports/docker.js';
import type { SchedulerPort } from '../../ports/scheduler.js';
import { describeProbe, HealthGate, probeHttp, type ProbeResult } from './health.js';

// The embedded scheduler: an environment is N containers on one Docker engine, named
// `<app>-<sha12>-<i>` and labelled with app, revision, index and count, so `list` and `get` can
// rebuild everything from the engine alone (no state file). Health is probed over the published port.

export interface DockerSchedulerOptions {
  /** deploy.bindAddress: the host address published ports bind to. */
  bindAddress: string;
  /** Where a wildcard bind (0.0.0.0, ::) is reached from here; 127.0.0.1 for the local engine. */
  wildcardHost?: string;
  /** For people: `local engine` or DOCKER_HOST. */
  endpoint: string;
  clock: Clock;
  restartPolicy?: 'unless-stopped' | 'on-failure';
  /** Probe timeout for list/get (deploy uses healthCheck.timeoutSeconds). */
  probeTimeoutMs?: number;
  /** Log lines of each failing container in a diagnosis. */
  logLines?: number;
}

interface Probed {
  info: ContainerInfo | undefined;
  name: string;
  probe?: ProbeResult;
  state: InstanceState;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

const FIRST_POLL_MS = 100;

/**
 * Containers inherit their image's labels, and deployer's images carry deployer.app/revision: only
 * the instance label (set by deploy, never by an image) marks a container as part of an environment.
 */
const isInstance = (c: ContainerInfo): boolean => c.labels[ENV_LABELS.instance] !== undefined && c.labels[ENV_LABELS.instance] !== '';

export function dockerScheduler(docker: DockerPort, opts: DockerSchedulerOptions): SchedulerPort {
  const wildcardHost = opts.wildcardHost ?? '127.0.0.1';
  const logLines = opts.logLines ?? 10;

  const backendOf = (info: ContainerInfo | undefined, port: number | undefined): Backend | undefined => {
    const p = info?.ports.find((x) => x.containerPort === port);
    if (!p || !p.hostPort) return undefined;
    return { host: WILDCARDS.has(p.hostIp) ? wildcardHost : p.hostIp, port: p.hostPort };
  };

  const containerPortOf = (info: ContainerInfo | undefined): number | undefined => info?.ports[0]?.containerPort;

  /** The container's state, ignoring health: running ones are then probed. */
  const runState = (info: ContainerInfo | undefined): InstanceState | undefined => {
    if (!info) return 'stopped';
    if (info.running) return undefined;
    return info.status === 'restarting' || info.status === 'created' ? 'starting' : 'stopped';
  };

  function toEnvironment(app: string, revision: string, probed: Probed[], wanted: number): EnvironmentInfo {
    const instances: InstanceInfo[] = probed.map((p) => {
      const backend = backendOf(p.info, containerPortOf(p.info));
      return {
        id: p.name,
        state: p.state,
        ...(backend ? { backend } : {}),
        lastHealth: describeProbe(p.probe),
      };
    });
    const healthy = instances.filter((i) => i.state === 'healthy');
    const created = probed.flatMap((p) => (p.info ? [p.info.createdAt.getTime()] : []));
    return {
      revision,
      id: `${app}-${shortSha(revision)}`,
      image: probed.find((p) => p.info)?.info?.image ?? '',
      wanted,
      instances,
      backends: healthy.flatMap((i) => (i.backend ? [i.backend] : [])),
      healthy: healthy.length,
      ...(created.length ? { createdAt: new Date(Math.min(...created)) } : {}),
    };
  }

  /** One probe of every container, for list/get. */
  async function snapshot(app: string, revision: string, containers: ContainerInfo[]): Promise<EnvironmentInfo> {
    const sorted = [...containers].sort((a, b) => Number(a.labels[ENV_LABELS.instance] ?? 0) - Number(b.labels[ENV_LABELS.instance] ?? 0));
    const probed = await Promise.all(sorted.map(async (info): Promise<Probed> => {
      const state = runState(info);
      if (state) return { info, name: info.name, state };
      const backend = backendOf(info, containerPortOf(info));
      if (!backend) return { info, name: info.name, state: 'unknown' };
      const probe = await probeHttp(backend.host, backend.port, info.labels[ENV_LABELS.healthPath] ?? '/', opts.probeTimeoutMs ?? 2000);
      return { info, name: info.name, probe, state: probe.ok ? 'healthy' : 'unhealthy' };
    }));
    const wanted = Number(sorted[0]?.labels[ENV_LABELS.instances] ?? sorted.length);
    return toEnvironment(app, revision, probed, Number.isFinite(wanted) && wanted > 0 ? wanted : sorted.length);
  }

  async function diagnosis(probed: Probed[]): Promise<string[]> {
    const lines: string[] = [];
    for (const p of probed) {
      const info = p.info;
      const backend = backendOf(info, containerPortOf(info));
      const where = backend ? ` ${backend.host}:${backend.port}` : '';
      const status = info ? `${info.status}${info.exitCode !== undefined && !info.running ? ` (exit ${info.exitCode})` : ''}` : 'missing';
      const restarts = info && info.restartCount > 0 ? `, restarted ${info.restartCount}×` : '';
      lines.push(`${p.name}${where}: ${p.state} — container ${status}${restarts}, last health check ${describeProbe(p.probe)}`);
      if (p.state !== 'healthy' && info) {
        const tail = (await docker.logs(info.id, logLines).catch(() => '')).split('\n').filter((l) => l.trim());
        if (tail.length) lines.push(...tail.map((l) => `  | ${l}`));
        else lines.push('  | (no log output)');
      }
    }
    return lines;
  }

  return {
    name: 'docker',

    async about() {
      return { endpoint: opts.endpoint };
    },

    async list(app) {
      const all = (await docker.listContainers({ [LABELS.app]: app })).filter(isInstance);
      const byRevision = new Map<string, ContainerInfo[]>();
      for (const c of all) {
        const rev = c.labels[LABELS.revision];
        if (!rev) continue;
        byRevision.set(rev, [...(byRevision.get(rev) ?? []), c]);
      }
      return Promise.all([...byRevision].map(([rev, cs]) => snapshot(app, rev, cs)));
    },

    async get(app, revision) {
      const cs = (await docker.listContainers({ [LABELS.app]: app, [LABELS.revision]: revision })).filter(isInstance);
      return cs.length ? snapshot(app, revision, cs) : undefined;
    },

    async deploy(spec: DeploySpec, { signal, progress, onCreated }) {
      const { clock } = opts;
      const t0 = clock.now().getTime();
      const deadline = t0 + spec.timeoutSeconds * 1000;
      const graceUntil = t0 + spec.healthCheck.gracePeriodSeconds * 1000;
      const names = Array.from({ length: spec.instances }, (_, i) => containerName(spec.app, spec.revision, i));

      onCreated?.();
      // allSettled, not all: a failed create must not leave siblings still being created after the
      // caller has already cleaned up.
      const created = await Promise.allSettled(names.map(async (name, i) => {
        const id = await docker.createContainer({
          image: spec.image,
          name,
          env: { ...spec.env },
          labels: {
            ...spec.labels,
            [LABELS.app]: spec.app,
            [LABELS.revision]: spec.revision,
            [ENV_LABELS.instance]: String(i),
            [ENV_LABELS.instances]: String(spec.instances),
            [ENV_LABELS.healthPath]: spec.healthCheck.path,
          },
          publish: [{ containerPort: spec.port, hostIp: opts.bindAddress, hostPort: 0 }],
          restartPolicy: opts.restartPolicy ?? 'unless-stopped',
        });
        await docker.startContainer(id);
        return id;
      }));
      const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const ids = created.map((r) => (r as PromiseFulfilledResult<string>).value);
      progress?.(`started ${names.join(', ')}`);

      const gate = new HealthGate(spec.healthCheck, clock, graceUntil);
      let probed: Probed[] = [];
      let lastReport = '';
      const hc = spec.healthCheck;
      // Rounds start FIRST_POLL_MS apart and double up to intervalSeconds: a just-started app
      // listens within moments, and a whole interval (2 s by default) after a first round that came
      // a little early was most of a deploy, more likely the more instances must all be up.
      let pollMs = Math.min(FIRST_POLL_MS, hc.intervalSeconds * 1000);
      for (;;) {
        signal.throwIfAborted();
        const now = clock.now().getTime();
        const timeoutMs = Math.max(100, Math.min(hc.timeoutSeconds * 1000, deadline - now));
        // Re-inspect every round: a restarted container may get a new dynamic host port.
        probed = await Promise.all(ids.map(async (id, i): Promise<Probed> => {
          const name = names[i]!;
          const info = await docker.inspectContainer(id);
          const state = runState(info);
          const backend = backendOf(info, spec.port);
          const previous = gate.last(id);
          if (state || !backend) return { info, name, state: state ?? 'starting', ...(previous ? { probe: previous } : {}) };
          return { info, name, ...(await gate.check(id, backend.host, backend.port, timeoutMs, signal)) };
        }));
        signal.throwIfAborted();
        const healthyCount = probed.filter((p) => p.state === 'healthy').length;
        if (healthyCount === ids.length) return toEnvironment(spec.app, spec.revision, probed, spec.instances);
        const report = `${healthyCount}/${ids.length} healthy`;
        if (report !== lastReport) progress?.(report);
        lastReport = report;
        const left = deadline - clock.now().getTime();
        if (left <= 0) break;
        await clock.sleep(Math.min(pollMs, left), signal);
        pollMs = Math.min(pollMs * 2, hc.intervalSeconds * 1000);
      }
      const healthyCount = probed.filter((p) => p.state === 'healthy').length;
      throw new StepFailedError(
        `environment ${spec.app}-${shortSha(spec.revision)} is not healthy after ${spec.timeoutSeconds}s (${healthyCount}/${ids.length} instances healthy)`,
        {
          code: 'deploy.unhealthy',
          details: await diagnosis(probed),
          hint: `the app must answer GET ${hc.path} with 2xx/3xx on port ${spec.port}; see the logs above`,
        },
      );
    },

    async destroy(app, revision) {
      const cs = (await docker.listContainers({ [LABELS.app]: app, [LABELS.revision]: revision })).filter(isInstance);
      await Promise.all(cs.map((c) => docker.removeContainer(c.id)));
    },
  };
}
