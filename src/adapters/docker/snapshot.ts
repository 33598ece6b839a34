import { createHash } from 'node:crypto';
import { idPath, type EngineApi } from './engine-api.js';
import * as tarStream from 'tar-stream';
import type { FsEntry, FsManifest, FsType } from '../../core/build/fs-diff.js';
import { engineError } from './engine-errors.js';

// An image's file system, hashed as it streams: a container is created (never started), exported
// (`docker export`: the merged view, no whiteouts), and removed. Memory stays flat: only one
// entry's hash is open at a time.

const TYPES: Record<string, FsType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'dir',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

function normalise(name: string): string {
  const p = `/${name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
  return p === '/' ? '/' : p;
}

export async function hashTar(stream: NodeJS.ReadableStream, signal?: AbortSignal): Promise<FsManifest> {
  const manifest: FsManifest = new Map();
  const extract = tarStream.extract();
  extract.on('entry', (h, body, next) => {
    const path = normalise(h.name);
    const type = TYPES[h.type ?? 'file'] ?? 'other';
    const entry: FsEntry = { path, type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, size: h.size ?? 0 };
    if (type === 'symlink') entry.linkTarget = h.linkname ?? '';
    if (type === 'hardlink') entry.linkTarget = normalise(h.linkname ?? '');
    if (type === 'file') {
      const hash = createHash('sha256');
      body.on('data', (b: unknown) => {
        hash.update(b as Buffer);
      });
      body.on('end', () => {
        entry.sha256 = hash.digest('hex');
        manifest.set(path, entry);
        next();
      });
    } else {
      body.on('end', () => {
        manifest.set(path, entry);
        next();
      });
      body.resume();
    }
  });
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
      extract.destroy(signal?.reason as Error);
      reject(signal?.reason);
    };
    extract.on('finish', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    extract.on('error', reject);
    (stream as NodeJS.ReadableStream & { on(ev: 'error', fn: (e: Error) => void): void }).on('error', reject);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.pipe(extract as unknown as NodeJS.WritableStream);
  });
  // A hard link is its target's content.
  for (const e of manifest.values()) {
    if (e.type !== 'hardlink' || !e.linkTarget) continue;
    const target = manifest.get(e.linkTarget);
    if (target) {
      e.size = target.size;
      e.sha256 = target.sha256;
    }
  }
  return manifest;
}

export async function snapshotImage(api: EngineApi, image: string, signal: AbortSignal): Promise<FsManifest> {
  let id: string;
  try {
    // The command is never run; it only satisfies images that have none.
    const c = await api.json<{ Id: string }>({
      method: 'POST',
      path: '/containers/create',
      json: { Image: image, Entrypoint: ['/deployer-verify-never-started'], Cmd: [], Labels: { 'deployer.verify': 'snapshot' } },
    });
    id = c!.Id;
  } catch (e) {
    throw engineError(`create a container from ${image} to read its file system`, e);
  }
  try {
    const stream = await api.stream({ method: 'GET', path: `/containers/${idPath(id)}/export`, signal });
    return await hashTar(stream, signal);
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    throw engineError(`export the file system of ${image}`, e);
  } finally {
    await api.json({ method: 'DELETE', path: `/containers/${idPath(id)}`, query: { force: true, v: true } }).catch(() => {});
  }
}
