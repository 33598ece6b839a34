// Temporary directories that are removed on cleanup() and, as a backstop, when the process exits
// or is stopped by SIGINT/SIGTERM/SIGHUP (not on SIGKILL: nothing runs then).
import { rmSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessExit } from './exit-hooks.js';

export interface TmpDir {
  /** Absolute, symlink-free path of the new directory (mode 0700). */
  path: string;
  /** Removes the directory and everything in it; safe to call more than once. */
  cleanup(): Promise<void>;
}

const live = new Set<string>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // order 1: after process.ts has killed the services that write into these dirs.
  onProcessExit(() => {
    for (const dir of live) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
      live.delete(dir);
    }
  }, 1);
}

/** Creates a fresh directory under the OS temp dir, named `<prefix>XXXXXX`. */
export async function tmpDir(prefix = 'deployer-test-'): Promise<TmpDir> {
  if (/[/\\]/.test(prefix)) throw new Error(`tmpDir prefix must not contain a path separator: ${prefix}`);
  hookExit();
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  live.add(path);
  return {
    path,
    async cleanup() {
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
      live.delete(path);
    },
  };
}
