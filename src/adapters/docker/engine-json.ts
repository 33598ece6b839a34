import type Docker from 'dockerode';
import type { ContainerInfo, ImageInfo } from '../../ports/docker.js';

// The engine's container and image JSON as the port's types (engine.ts; swarm.ts's label filters).

export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

export function toContainerInfo(c: Docker.ContainerInspectInfo): ContainerInfo {
  const ports: ContainerInfo['ports'] = [];
  for (const [key, bindings] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const containerPort = Number(key.split('/')[0]);
    for (const b of bindings ?? []) ports.push({ containerPort, hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    labels: c.Config.Labels ?? {},
    running: c.State.Running,
    status: c.State.Status,
    exitCode: c.State.Running ? undefined : c.State.ExitCode,
    restartCount: c.RestartCount ?? 0,
    ports,
    createdAt: new Date(c.Created),
  };
}

export function toImageInfo(i: Docker.ImageInspectInfo): ImageInfo {
  return {
    id: i.Id,
    repoTags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    created: new Date(i.Created),
    labels: i.Config?.Labels ?? {},
    layers: i.RootFS?.Layers?.length ?? 0,
    config: i.Config as ImageInfo['config'],
  };
}
