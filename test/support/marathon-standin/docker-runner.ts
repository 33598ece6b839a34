// Runs Marathon tasks as containers on the local engine (dockerode, `new Docker()` honours DOCKER_HOST).
// Every container carries `<prefix>.instance` (one id per stand-in), `<prefix>.app`, `<prefix>.task`, plus the
// owner's pid and hostname so a later stand-in can sweep containers left behind by a crashed test process.
// Ports are published on the agent's loopback address only (127.0.0.x); the container's bridge IP is reported (like Mesos does) but never used.

import os from 'node:os';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';

export interface LaunchSpec {
  name: string;
  image: string;
  /** Shell command: run as `/bin/sh -c <cmd>` with the ENTRYPOINT replaced (Mesos' docker containerizer). */
  cmd?: string;
  /** argv: becomes the container command, the image's ENTRYPOINT is kept. */
  args?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  publish: { containerPort: number; hostPort: number; protocol: string }[];
  /** Loopback address of the task's agent the ports are published on (127.0.0.0/8 is all on lo). */
  hostIp: string;
}

export interface ContainerState {
  running: boolean;
  exitCode?: number;
  status: string;
}

interface DockerishError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

export function daemonMessage(e: unknown): string {
  const err = e as DockerishError;
  return (err?.json?.message ?? err?.message ?? String(e)).trim();
}

const statusOf = (e: unknown): number | undefined => (e as DockerishError | undefined)?.statusCode;

export class DockerRunner {
  readonly docker = new Docker();
  readonly instanceLabel: string;

  constructor(
    readonly labelPrefix: string,
    readonly instanceId: string,
  ) {
    this.instanceLabel = `${labelPrefix}.instance`;
  }

  labelsFor(appId: string, taskId: string): Record<string, string> {
    return {
      [this.instanceLabel]: this.instanceId,
      [`${this.labelPrefix}.app`]: appId,
      [`${this.labelPrefix}.task`]: taskId,
      [`${this.labelPrefix}.pid`]: String(process.pid),
      [`${this.labelPrefix}.hostname`]: os.hostname(),
    };
  }

  /** create + start; resolves with the container id and its bridge IP. Removes the container if start fails. */
  async launch(spec: LaunchSpec): Promise<{ id: string; ipAddress?: string }> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of spec.publish) {
      for (const proto of p.protocol.split(',')) {
        const key = `${p.containerPort}/${proto.trim()}`;
        exposed[key] = {};
        bindings[key] = [{ HostIp: spec.hostIp, HostPort: String(p.hostPort) }];
      }
    }
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.cmd !== undefined ? { Entrypoint: ['/bin/sh', '-c'], Cmd: [spec.cmd] } : {}),
      ...(spec.args !== undefined ? { Cmd: spec.args } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      ExposedPorts: exposed,
      HostConfig: { PortBindings: bindings },
    });
    try {
      await container.start();
      const info = await container.inspect();
      const ip = Object.values(info.NetworkSettings?.Networks ?? {})[0]?.IPAddress;
      return { id: container.id, ...(ip ? { ipAddress: ip } : {}) };
    } catch (e) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw e;
    }
  }

  /** SIGTERM, SIGKILL after `graceSeconds`, then remove. Missing containers are fine. */
  async kill(containerId: string, graceSeconds: number): Promise<void> {
    const c = this.docker.getContainer(containerId);
    try {
      await c.stop({ t: graceSeconds });
    } catch (e) {
      if (statusOf(e) !== 304 && statusOf(e) !== 404) throw e;
    }
    await this.remove(containerId);
  }

  async remove(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (e) {
      // 404: already gone; 409: removal already in progress
      if (statusOf(e) !== 404 && statusOf(e) !== 409) throw e;
    }
  }

  /** State of every container of this stand-in, by id. */
  async states(): Promise<Map<string, ContainerState>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${this.instanceLabel}=${this.instanceId}`] } });
    const out = new Map<string, ContainerState>();
    for (const c of list) {
      const m = /Exited \((-?\d+)\)/.exec(c.Status);
      out.set(c.Id, { running: c.State === 'running', status: c.Status, ...(m ? { exitCode: Number(m[1]) } : {}) });
    }
    return out;
  }

  /** Runs `sh -c command` inside the container (COMMAND health checks); resolves with the exit code. */
  async exec(containerId: string, command: string, timeoutMs: number): Promise<number> {
    const ex = await this.docker.getContainer(containerId).exec({ Cmd: ['/bin/sh', '-c', command], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    const sink = new PassThrough();
    sink.resume();
    this.docker.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        stream.destroy();
        reject(new Error(`command health check timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('end', () => (clearTimeout(timer), resolve()));
      stream.on('close', () => (clearTimeout(timer), resolve()));
      stream.on('error', (e) => (clearTimeout(timer), reject(e)));
    });
    return (await ex.inspect()).ExitCode ?? -1;
  }

  /** Force-removes every container of this stand-in instance. */
  async removeAll(): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${this.instanceLabel}=${this.instanceId}`] } });
    await Promise.allSettled(list.map((c) => this.remove(c.Id)));
  }

  /** Removes containers of stand-ins whose test process (same host) no longer exists. Best effort. */
  async sweepOrphans(): Promise<void> {
    const pidLabel = `${this.labelPrefix}.pid`;
    const list = await this.docker.listContainers({ all: true, filters: { label: [pidLabel, `${this.labelPrefix}.hostname=${os.hostname()}`] } });
    const dead = list.filter((c) => !processAlive(Number(c.Labels[pidLabel])));
    await Promise.allSettled(dead.map((c) => this.remove(c.Id)));
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
