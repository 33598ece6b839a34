import type Docker from 'dockerode';
import { PreconditionError } from '../../core/errors.js';
import type { SwarmNode, SwarmPort, SwarmService, SwarmTask } from '../../ports/swarm.js';
import { demuxBuffer } from './frames.js';
import { engineError, statusOf } from './engine-errors.js';
import { authConfig, registryKey, type CredentialsLoader } from './registry-auth.js';
import { labelFilter } from './engine-json.js';

// The SwarmPort over dockerode's service, task and node API. Only a manager answers these; any
// other engine answers 503, turned here into one clear error naming `docker swarm init`.

export interface SwarmAdapterOptions {
  /** registry.host: images in it are created with its credentials, so every node can pull them. */
  registry?: string;
  credentials?: CredentialsLoader;
}

interface RawTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  CreatedAt: string;
  Status: {
    Timestamp: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ExitCode?: number };
    PortStatus?: { Ports?: { TargetPort?: number; PublishedPort?: number }[] };
  };
}

interface RawNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Availability?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Addr?: string };
}


function notManager(action: string, e: unknown): Error {
  if (statusOf(e) !== 503) return engineError(action, e);
  return new PreconditionError(`the Docker engine is not a swarm manager (while trying to ${action})`, {
    code: 'swarm.unavailable',
    hint: 'deploy.scheduler swarm needs a manager node: run `docker swarm init` there, or point DOCKER_HOST at a manager',
    cause: e,
  });
}

function toTask(t: RawTask): SwarmTask {
  // On a dual-stack node each port is published twice, first on 0.0.0.0 then on [::], and the
  // engine (20.10) may pick *different* host ports for the two; PortStatus drops the host IP but
  // keeps that order. Node addresses are IPv4 (Status.Addr), so the first entry is the one
  // (docs/traps.md §5).
  const ports = new Map<number, number>();
  for (const p of t.Status.PortStatus?.Ports ?? []) {
    if (p.TargetPort && p.PublishedPort && !ports.has(p.TargetPort)) ports.set(p.TargetPort, p.PublishedPort);
  }
  return {
    id: t.ID,
    serviceId: t.ServiceID,
    slot: t.Slot ?? 0,
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    desiredState: t.DesiredState,
    state: t.Status.State,
    message: t.Status.Message ?? '',
    ...(t.Status.Err ? { error: t.Status.Err } : {}),
    ...(t.Status.ContainerStatus?.ExitCode !== undefined ? { exitCode: t.Status.ContainerStatus.ExitCode } : {}),
    ports: [...ports].map(([target, published]) => ({ target, published })),
    createdAt: new Date(t.CreatedAt),
    updatedAt: new Date(t.Status.Timestamp),
  };
}

function toNode(n: RawNode): SwarmNode {
  return {
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID.slice(0, 12),
    addr: n.Status?.Addr ?? '',
    ...(n.ManagerStatus?.Addr ? { managerAddr: n.ManagerStatus.Addr } : {}),
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'unknown',
  };
}

export function dockerSwarm(docker: Docker, opts: SwarmAdapterOptions = {}): SwarmPort {
  const authFor = async (image: string) => {
    if (!opts.registry || !opts.credentials) return undefined;
    if (!image.toLowerCase().startsWith(`${registryKey(opts.registry)}/`)) return undefined;
    return authConfig(opts.registry, await opts.credentials());
  };

  return {
    async info() {
      try {
        const i = (await docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Nodes?: number } };
        return {
          state: i.Swarm?.LocalNodeState ?? 'inactive',
          manager: i.Swarm?.ControlAvailable ?? false,
          ...(i.Swarm?.NodeID ? { nodeId: i.Swarm.NodeID } : {}),
          ...(i.Swarm?.Nodes ? { nodes: i.Swarm.Nodes } : {}),
        };
      } catch (e) {
        throw engineError('read the engine info', e);
      }
    },

    async createService(spec, { signal }) {
      signal.throwIfAborted();
      const auth = await authFor(spec.TaskTemplate.ContainerSpec.Image);
      try {
        // No abortSignal: dockerode would send it in the JSON body of this POST.
        const s = auth
          ? await docker.createService(auth as Docker.AuthConfig, spec as unknown as Docker.ServiceSpec)
          : await docker.createService(spec as unknown as Docker.CreateServiceOptions);
        return s.id as string;
      } catch (e) {
        throw notManager(`create service ${spec.Name}`, e);
      }
    },

    async listServices(labels) {
      let list: Docker.Service[];
      try {
        list = await docker.listServices({ filters: { label: labelFilter(labels) } } as Docker.ServiceListOptions);
      } catch (e) {
        throw notManager('list services', e);
      }
      return list.map((s): SwarmService => ({
        id: s.ID,
        name: s.Spec?.Name ?? s.ID,
        labels: s.Spec?.Labels ?? {},
        image: s.Spec?.TaskTemplate && 'ContainerSpec' in s.Spec.TaskTemplate ? s.Spec.TaskTemplate.ContainerSpec?.Image ?? '' : '',
        replicas: s.Spec?.Mode?.Replicated?.Replicas ?? 0,
        createdAt: new Date(s.CreatedAt ?? 0),
      }));
    },

    async removeService(id) {
      try {
        await docker.getService(id).remove();
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw notManager(`remove service ${id}`, e);
      }
    },

    async listTasks(labels) {
      try {
        return ((await docker.listTasks({ filters: { label: labelFilter(labels) } })) as RawTask[]).map(toTask);
      } catch (e) {
        throw notManager('list tasks', e);
      }
    },

    async listNodes() {
      try {
        return ((await docker.listNodes()) as RawNode[]).map(toNode);
      } catch (e) {
        throw notManager('list nodes', e);
      }
    },

    async taskLogs(taskId, tailLines) {
      try {
        // @types/dockerode 4 lacks Task#logs, which dockerode 5 has (GET /tasks/{id}/logs).
        const task = docker.getTask(taskId) as unknown as { logs(o: object): Promise<Buffer> };
        const buf = await task.logs({ stdout: true, stderr: true, tail: tailLines, follow: false });
        return demuxBuffer(buf);
      } catch (e) {
        if (statusOf(e) === 404) return '';
        throw notManager(`read logs of task ${taskId.slice(0, 12)}`, e);
      }
    },
  };
}
