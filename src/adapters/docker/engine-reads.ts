import { request } from 'node:http';
import type Docker from 'dockerode';
import type { ContainerInfo, DockerPort } from '../../ports/docker.js';
import { labelFilter, toContainerInfo, toImageInfo } from './engine-json.js';
import { engineError } from './engine-errors.js';

// The reads a switch or a status needs (containers by label, a container, an image), as plain HTTP on the
// engine's unix socket. dockerode with its gRPC and SSH transports costs more start-up than the
// whole switch that follows (README, "Performance"), so these reads go without it; everything else,
// and every engine reached over TCP, TLS or SSH, still goes through dockerode (wire.ts).
// Unversioned paths, as dockerode uses them: the daemon's own API version (docs/traps.md §1).

export type EngineReads = Pick<DockerPort, 'listContainers' | 'inspectContainer' | 'imageInfo'>;

/** The engine's unix socket when DOCKER_HOST names one (or is unset), else undefined. */
export function plainEngineSocket(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** An engine answer larger than this is not a container list we asked for. */
const MAX_BODY = 64 * 1024 * 1024;

interface EngineHttpError extends Error {
  statusCode: number;
  json: { message?: string } | null;
}

function getJson<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > MAX_BODY) req.destroy(new Error(`the engine's answer to GET ${path} exceeds ${MAX_BODY} bytes`));
        else chunks.push(b);
      });
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          // a proxy's HTML page: keep the status, the text becomes the message
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && body !== null) return resolve(body as T);
        const message = (body as { message?: string } | null)?.message ?? (text.trim() || `HTTP ${status}`);
        reject(Object.assign(new Error(message), { statusCode: status, json: body as EngineHttpError['json'] }));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException & { address?: string }) => reject(Object.assign(e, { address: e.address ?? socketPath })));
    req.end();
  });
}

export function engineReads(socketPath: string): EngineReads {
  const reads: EngineReads = {
    async imageInfo(ref) {
      try {
        // A reference keeps its / : @ in the path, as dockerode sends it.
        return toImageInfo(await getJson<Docker.ImageInspectInfo>(socketPath, `/images/${encodeURI(ref)}/json`));
      } catch (e) {
        if ((e as Partial<EngineHttpError>).statusCode === 404) return undefined;
        throw engineError(`inspect image ${ref}`, e);
      }
    },
    async inspectContainer(id) {
      try {
        return toContainerInfo(await getJson<Docker.ContainerInspectInfo>(socketPath, `/containers/${encodeURIComponent(id)}/json`));
      } catch (e) {
        if ((e as Partial<EngineHttpError>).statusCode === 404) return undefined;
        throw engineError(`inspect container ${id.slice(0, 12)}`, e);
      }
    },
    async listContainers(labels) {
      try {
        const filters = encodeURIComponent(JSON.stringify({ label: labelFilter(labels) }));
        const list = await getJson<{ Id: string }[]>(socketPath, `/containers/json?all=1&filters=${filters}`);
        const infos = await Promise.all(list.map((c) => reads.inspectContainer(c.Id)));
        return infos.filter((i): i is ContainerInfo => i !== undefined);
      } catch (e) {
        throw engineError('list containers', e);
      }
    },
  };
  return reads;
}
