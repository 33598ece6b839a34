import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

// Local files the SSH layer reads (keys, known_hosts). `~/` means the HOME it was given, so tests
// can point it at a temporary directory.

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return isAbsolute(path) ? path : resolve(path);
}

export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
