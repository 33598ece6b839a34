import type Docker from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import type { ContainerInfo, ContainerSpec, DockerPort, ExecResult, ImageInfo, LocalImage } from '../../ports/docker.js';
import { engineError, statusOf } from './engine-errors.js';
import { labelFilter, toContainerInfo, toImageInfo } from './engine-json.js';
import { LineSplitter } from './lines.js';

export function dockerEngine(docker: Docker): DockerPort {
  return {
    async imageInfo(ref) {
      try {
        return toImageInfo(await docker.getImage(ref).inspect());
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw engineError(`inspect image ${ref}`, e);
      }
    },
    async tagImage(source, target) {
      const at = target.lastIndexOf(':');
      const slash = target.lastIndexOf('/');
      const [repo, tag] = at > slash ? [target.slice(0, at), target.slice(at + 1)] : [target, 'latest'];
      try {
        await docker.getImage(source).tag({ repo, tag });
      } catch (e) {
        throw engineError(`tag ${source} as ${target}`, e);
      }
    },
    async removeImage(ref) {
      try {
        await docker.getImage(ref).remove({ noprune: false });
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw engineError(`remove image ${ref}`, e);
      }
    },

    async listImages(repositories) {
      try {
        const [images, containers] = await Promise.all([docker.listImages({ all: false }), docker.listContainers({ all: true })]);
        const used = new Set(containers.map((c) => c.ImageID));
        const ours = (ref: string) => repositories.some((r) => ref.startsWith(`${r}:`) || ref.startsWith(`${r}@`));
        return images.flatMap((i): LocalImage[] => {
          const refs = [...(i.RepoTags ?? []), ...(i.RepoDigests ?? [])].filter(ours);
          return refs.length ? [{ id: i.Id, refs, size: i.Size, created: new Date(i.Created * 1000), labels: i.Labels ?? {}, inUse: used.has(i.Id) }] : [];
        });
      } catch (e) {
        throw engineError('list images', e);
      }
    },

    async createContainer(spec: ContainerSpec) {
      const exposed: Record<string, object> = {};
      const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
      for (const p of spec.publish ?? []) {
        const key = `${p.containerPort}/tcp`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' });
      }
      try {
        const c = await docker.createContainer({
          Image: spec.image,
          ...(spec.name ? { name: spec.name } : {}),
          ...(spec.cmd ? { Cmd: spec.cmd } : {}),
          ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
          Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
          Labels: spec.labels ?? {},
          ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
          ...(spec.user ? { User: spec.user } : {}),
          ExposedPorts: exposed,
          HostConfig: {
            PortBindings: bindings,
            RestartPolicy: { Name: spec.restartPolicy ?? 'no' },
            ...(spec.network ? { NetworkMode: spec.network } : {}),
          },
          ...(spec.network && spec.networkAliases
            ? { NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: spec.networkAliases } } } }
            : {}),
        });
        return c.id;
      } catch (e) {
        throw engineError(`create a container from ${spec.image}`, e);
      }
    },
    async startContainer(id) {
      try {
        await docker.getContainer(id).start();
      } catch (e) {
        if (statusOf(e) === 304) return;
        throw engineError(`start container ${id.slice(0, 12)}`, e);
      }
    },
    async removeContainer(id) {
      try {
        await docker.getContainer(id).remove({ force: true, v: true });
      } catch (e) {
        // 409 "removal already in progress" means someone else is finishing the job.
        if (statusOf(e) === 404 || statusOf(e) === 409) return;
        throw engineError(`remove container ${id.slice(0, 12)}`, e);
      }
    },
    async inspectContainer(id) {
      try {
        return toContainerInfo(await docker.getContainer(id).inspect());
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw engineError(`inspect container ${id.slice(0, 12)}`, e);
      }
    },
    async listContainers(labels) {
      try {
        const list = await docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
        const infos = await Promise.all(list.map((c) => this.inspectContainer(c.Id)));
        return infos.filter((i): i is ContainerInfo => i !== undefined);
      } catch (e) {
        throw engineError('list containers', e);
      }
    },
    async logs(id, tailLines) {
      try {
        const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: tailLines, follow: false })) as unknown as Buffer;
        return demuxBuffer(buf);
      } catch (e) {
        if (statusOf(e) === 404) return '';
        throw engineError(`read logs of ${id.slice(0, 12)}`, e);
      }
    },

    async exec(id, cmd, opts = {}): Promise<ExecResult> {
      try {
        const ex = await docker.getContainer(id).exec({
          Cmd: cmd,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
          ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
          ...(opts.user ? { User: opts.user } : {}),
        });
        const stream = await ex.start({ hijack: true, stdin: false });
        const out = new PassThrough();
        const err = new PassThrough();
        const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
        const lines = {
          stdout: new LineSplitter((l) => opts.onLine?.(l, 'stdout')),
          stderr: new LineSplitter((l) => opts.onLine?.(l, 'stderr')),
        };
        out.on('data', (b: Buffer) => { chunks.stdout.push(b); lines.stdout.push(b); });
        err.on('data', (b: Buffer) => { chunks.stderr.push(b); lines.stderr.push(b); });
        docker.modem.demuxStream(stream, out, err);
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            stream.destroy();
            reject(opts.signal?.reason);
          };
          if (opts.signal?.aborted) return onAbort();
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          stream.on('end', () => { opts.signal?.removeEventListener('abort', onAbort); resolve(); });
          stream.on('close', () => { opts.signal?.removeEventListener('abort', onAbort); resolve(); });
          stream.on('error', reject);
        });
        lines.stdout.flush();
        lines.stderr.flush();
        const info = await ex.inspect();
        return {
          exitCode: info.ExitCode ?? -1,
          stdout: Buffer.concat(chunks.stdout).toString('utf8'),
          stderr: Buffer.concat(chunks.stderr).toString('utf8'),
        };
      } catch (e) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        throw engineError(`run ${JSON.stringify(cmd.join(' ').slice(0, 80))} in ${id.slice(0, 12)}`, e);
      }
    },
    async putArchive(id, tar, path) {
      try {
        await docker.getContainer(id).putArchive(tar as NodeJS.ReadableStream, { path });
      } catch (e) {
        throw engineError(`copy files into ${path} of ${id.slice(0, 12)}`, e);
      }
    },
    async getArchive(id, path) {
      try {
        return (await docker.getContainer(id).getArchive({ path })) as unknown as Readable;
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw engineError(`copy ${path} out of ${id.slice(0, 12)}`, e);
      }
    },
    async isEmptyDirectory(id, path) {
      const tar = await this.getArchive(id, path);
      if (!tar) return false;
      // The archive of a directory starts with the directory's own entry; a second entry means it
      // has content, so reading stops there (a big directory is never read through).
      return new Promise<boolean>((resolve, reject) => {
        const extract = tarStream.extract();
        let entries = 0;
        let isDir = false;
        const done = (empty: boolean) => {
          tar.destroy();
          extract.destroy();
          resolve(empty);
        };
        extract.on('entry', (h, body, next) => {
          entries++;
          if (entries > 1) return done(false);
          isDir = h.type === 'directory';
          body.on('end', next);
          body.resume();
        });
        extract.on('finish', () => done(entries === 1 && isDir));
        extract.on('error', (e) => reject(engineError(`read ${path} of ${id.slice(0, 12)}`, e)));
        tar.on('error', (e) => reject(engineError(`read ${path} of ${id.slice(0, 12)}`, e)));
        tar.pipe(extract);
      });
    },

    async createNetwork(name, labels) {
      try {
        const n = await docker.createNetwork({ Name: name, Labels: labels, CheckDuplicate: true });
        return n.id;
      } catch (e) {
        throw engineError(`create network ${name}`, e);
      }
    },
    async removeNetwork(idOrName) {
      try {
        await docker.getNetwork(idOrName).remove();
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw engineError(`remove network ${idOrName}`, e);
      }
    },
    async listNetworks(labels) {
      try {
        const list = await docker.listNetworks({ filters: { label: labelFilter(labels) } });
        return list.map((n) => ({ id: n.Id, name: n.Name }));
      } catch (e) {
        throw engineError('list networks', e);
      }
    },
  };
}

/** Docker's multiplexed log format: 8-byte headers (stream, 0,0,0, big-endian length), then data. */
export function demuxBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}
