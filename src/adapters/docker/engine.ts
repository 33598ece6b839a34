import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerInfo, ContainerSpec, DockerPort, ExecResult, LocalImage } from '../../ports/docker.js';
import { idPath, imagePath, type EngineApi } from './engine-api.js';
import { engineError, statusOf } from './engine-errors.js';
import { labelFilter, toContainerInfo, toImageInfo } from './engine-json.js';
import { demuxBuffer, FrameDemuxer } from './frames.js';
import { LineSplitter } from './lines.js';

// The DockerPort over the Engine API (engine-api.ts), whichever transport carries it. Each method
// is one or two API calls; the JSON types are dockerode's, which name the API's own fields.

const filters = (labels: Record<string, string>) => JSON.stringify({ label: labelFilter(labels) });

export function dockerEngine(api: EngineApi): DockerPort {
  const port: DockerPort = {
    async imageInfo(ref) {
      try {
        return toImageInfo((await api.json<Docker.ImageInspectInfo>({ method: 'GET', path: `/images/${imagePath(ref)}/json` }))!);
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
        await api.json({ method: 'POST', path: `/images/${imagePath(source)}/tag`, query: { repo, tag } });
      } catch (e) {
        throw engineError(`tag ${source} as ${target}`, e);
      }
    },
    async removeImage(ref) {
      try {
        await api.json({ method: 'DELETE', path: `/images/${imagePath(ref)}`, query: { noprune: false } });
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw engineError(`remove image ${ref}`, e);
      }
    },

    async listImages(repositories) {
      try {
        const [images, containers] = await Promise.all([
          api.json<Docker.ImageInfo[]>({ method: 'GET', path: '/images/json' }),
          api.json<Docker.ContainerInfo[]>({ method: 'GET', path: '/containers/json', query: { all: true } }),
        ]);
        const used = new Set((containers ?? []).map((c) => c.ImageID));
        const ours = (ref: string) => repositories.some((r) => ref.startsWith(`${r}:`) || ref.startsWith(`${r}@`));
        return (images ?? []).flatMap((i): LocalImage[] => {
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
        const c = await api.json<{ Id: string }>({
          method: 'POST',
          path: '/containers/create',
          query: { name: spec.name },
          json: {
            Image: spec.image,
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
          },
        });
        return c!.Id;
      } catch (e) {
        throw engineError(`create a container from ${spec.image}`, e);
      }
    },
    async startContainer(id) {
      try {
        await api.json({ method: 'POST', path: `/containers/${idPath(id)}/start` });
      } catch (e) {
        if (statusOf(e) === 304) return; // already running
        throw engineError(`start container ${id.slice(0, 12)}`, e);
      }
    },
    async removeContainer(id) {
      try {
        await api.json({ method: 'DELETE', path: `/containers/${idPath(id)}`, query: { force: true, v: true } });
      } catch (e) {
        // 409 "removal already in progress" means someone else is finishing the job.
        if (statusOf(e) === 404 || statusOf(e) === 409) return;
        throw engineError(`remove container ${id.slice(0, 12)}`, e);
      }
    },
    async inspectContainer(id) {
      try {
        return toContainerInfo((await api.json<Docker.ContainerInspectInfo>({ method: 'GET', path: `/containers/${idPath(id)}/json` }))!);
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw engineError(`inspect container ${id.slice(0, 12)}`, e);
      }
    },
    async listContainers(labels) {
      try {
        const list = await api.json<{ Id: string }[]>({ method: 'GET', path: '/containers/json', query: { all: true, filters: filters(labels) } });
        const infos = await Promise.all((list ?? []).map((c) => port.inspectContainer(c.Id)));
        return infos.filter((i): i is ContainerInfo => i !== undefined);
      } catch (e) {
        throw engineError('list containers', e);
      }
    },
    async logs(id, tailLines) {
      try {
        const res = await api.stream({ method: 'GET', path: `/containers/${idPath(id)}/logs`, query: { stdout: true, stderr: true, tail: tailLines } });
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        return demuxBuffer(Buffer.concat(chunks));
      } catch (e) {
        if (statusOf(e) === 404) return '';
        throw engineError(`read logs of ${id.slice(0, 12)}`, e);
      }
    },

    async exec(id, cmd, opts = {}): Promise<ExecResult> {
      try {
        const ex = await api.json<{ Id: string }>({
          method: 'POST',
          path: `/containers/${idPath(id)}/exec`,
          json: {
            Cmd: cmd,
            AttachStdout: true,
            AttachStderr: true,
            Tty: false,
            Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
            ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
            ...(opts.user ? { User: opts.user } : {}),
          },
        });
        const execPath = `/exec/${idPath(ex!.Id)}`;
        opts.signal?.throwIfAborted();
        const stream = await api.hijack({ method: 'POST', path: `${execPath}/start`, json: { Detach: false, Tty: false } });
        const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
        const lines = {
          stdout: new LineSplitter((l) => opts.onLine?.(l, 'stdout')),
          stderr: new LineSplitter((l) => opts.onLine?.(l, 'stderr')),
        };
        const frames = new FrameDemuxer((b, s) => {
          chunks[s].push(b);
          lines[s].push(b);
        });
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            stream.destroy();
            reject(opts.signal?.reason);
          };
          if (opts.signal?.aborted) return onAbort();
          opts.signal?.addEventListener('abort', onAbort, { once: true });
          const finish = () => {
            opts.signal?.removeEventListener('abort', onAbort);
            resolve();
          };
          stream.on('data', (b: Buffer) => frames.push(b));
          stream.on('end', finish);
          stream.on('close', finish);
          stream.on('error', reject);
        });
        lines.stdout.flush();
        lines.stderr.flush();
        const info = await api.json<{ ExitCode: number | null }>({ method: 'GET', path: `${execPath}/json` });
        return {
          exitCode: info?.ExitCode ?? -1,
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
        await api.json({ method: 'PUT', path: `/containers/${idPath(id)}/archive`, query: { path }, tar: tar as NodeJS.ReadableStream });
      } catch (e) {
        throw engineError(`copy files into ${path} of ${id.slice(0, 12)}`, e);
      }
    },
    async getArchive(id, path) {
      try {
        return await api.stream({ method: 'GET', path: `/containers/${idPath(id)}/archive`, query: { path } });
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw engineError(`copy ${path} out of ${id.slice(0, 12)}`, e);
      }
    },
    async isEmptyDirectory(id, path) {
      const tar = await port.getArchive(id, path);
      if (!tar) return false;
      return firstEntryOnly(tar, (e) => engineError(`read ${path} of ${id.slice(0, 12)}`, e));
    },

    async createNetwork(name, labels) {
      try {
        const n = await api.json<{ Id: string }>({ method: 'POST', path: '/networks/create', json: { Name: name, Labels: labels, CheckDuplicate: true } });
        return n!.Id;
      } catch (e) {
        throw engineError(`create network ${name}`, e);
      }
    },
    async removeNetwork(idOrName) {
      try {
        await api.json({ method: 'DELETE', path: `/networks/${idPath(idOrName)}` });
      } catch (e) {
        if (statusOf(e) === 404) return;
        throw engineError(`remove network ${idOrName}`, e);
      }
    },
    async listNetworks(labels) {
      try {
        const list = await api.json<{ Id: string; Name: string }[]>({ method: 'GET', path: '/networks', query: { filters: filters(labels) } });
        return (list ?? []).map((n) => ({ id: n.Id, name: n.Name }));
      } catch (e) {
        throw engineError('list networks', e);
      }
    },
  };
  return port;
}

/**
 * Whether a directory's archive holds only the directory itself. The archive starts with the
 * directory's own entry; a second entry means it has content, so reading stops there (a big
 * directory is never read through). tar-stream loads here, not with the engine: status never needs it.
 */
async function firstEntryOnly(tar: Readable, fail: (e: unknown) => Error): Promise<boolean> {
  const tarStream = await import('tar-stream');
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
    extract.on('error', (e) => reject(fail(e)));
    tar.on('error', (e) => reject(fail(e)));
    tar.pipe(extract);
  });
}
