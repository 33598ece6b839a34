import type { RawChange } from '../../../src/core/changes/classify.js';
import { parseConfigText } from '../../../src/core/config/parse.js';
import type { Config } from '../../../src/core/config/schema.js';
import type { ImageInfo } from '../../../src/ports/docker.js';
import type { RemoteImage } from '../../../src/ports/images.js';
import type { BuildReadPorts } from '../../../src/planners/build-facts.js';

export const BASE = 'b'.repeat(40);
export const TARGET = 't'.repeat(40).replace(/t/g, 'a');
export const NOW = new Date('2026-01-02T03:04:05.000Z');

export function config(extra = '', registry = true): Config {
  return parseConfigText(`
app: webapp
${registry ? 'registry: { host: "127.0.0.1:5000" }' : ''}
images: { full: webapp-full, delta: webapp }
build: { appDir: /app, maxLayers: 10 }
changes:
  infra: [Dockerfile, .dockerignore]
  deps: [deps.lock]
  ignore: [README.md]
  depsDir: /app/deps
  depsInstall: make deps
${extra}`, 'test.yaml');
}

export interface FakeWorld {
  revs: Record<string, string>;
  diffs: Record<string, RawChange[]>;
  /** `${sha}:${path}` → content; a directory is any prefix `${sha}:${dir}/`. */
  files: Record<string, string>;
  local: Record<string, Partial<ImageInfo>>;
  remote: Record<string, Partial<RemoteImage>>;
  dirty?: boolean;
  registryDown?: Error;
}

export function fakePorts(w: FakeWorld, registry = true): BuildReadPorts & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    git: {
      async resolve(rev) {
        calls.push(`resolve ${rev}`);
        const sha = w.revs[rev] ?? (/^[0-9a-f]{40}$/.test(rev) ? rev : undefined);
        if (!sha) {
          const { UsageError } = await import('../../../src/core/errors.js');
          throw new UsageError(`unknown revision ${rev}`);
        }
        return sha;
      },
      async diff(from, to) {
        calls.push(`diff ${from.slice(0, 4)} ${to.slice(0, 4)}`);
        return w.diffs[`${from}..${to}`] ?? [];
      },
      async isDirty() {
        return w.dirty ?? false;
      },
      async dirsAt(rev, dirs) {
        calls.push(`dirsAt ${rev.slice(0, 4)} ${dirs.length}`);
        return dirs.filter((d) => Object.keys(w.files).some((k) => k.startsWith(`${rev}:${d}/`)));
      },
      async show(rev, path) {
        if (path.endsWith('/')) {
          const prefix = `${rev}:${path}`;
          return Object.keys(w.files).some((k) => k.startsWith(prefix)) ? Buffer.from('tree') : undefined;
        }
        const v = w.files[`${rev}:${path}`];
        return v === undefined ? undefined : Buffer.from(v);
      },
    },
    docker: {
      async imageInfo(ref) {
        const i = w.local[ref];
        return i ? ({ id: 'sha256:local', repoTags: [ref], repoDigests: [], created: NOW, labels: {}, layers: 3, config: {}, ...i } as ImageInfo) : undefined;
      },
    },
    images: {
      registry: registry ? '127.0.0.1:5000' : undefined,
      async registryAccess() {
        calls.push('registryAccess');
        if (w.registryDown) throw w.registryDown;
      },
      async remote(ref) {
        calls.push(`remote ${ref}`);
        if (!registry) return undefined;
        const r = w.remote[ref];
        return r ? ({ ref, digest: 'sha256:digest', id: 'sha256:remote', created: NOW, labels: {}, layers: 3, config: {}, ...r } as RemoteImage) : undefined;
      },
    },
    clock: { now: () => NOW },
  };
}
