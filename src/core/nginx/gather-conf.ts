import { posix } from 'node:path';
import type { LbHost } from '../../ports/lb.js';
import { needs, type ConfFacts } from './include-tree.js';

// Reads, through a load-balancer host, the part of an nginx configuration the shadow test config
// needs (./include-tree.ts): the main config, every file it includes (recursively), and the
// directories its include globs name. Read-only; used when planning (planners/switch.ts,
// planners/doctor.ts) and again when testing (exec/handlers/switch-apply.ts), so it lives in the
// core both import. Its only I/O is through the host it is given.

const MAX_ROUNDS = 20;

async function listDir(host: Pick<LbHost, 'run'>, dir: string): Promise<string[] | null> {
  // find -print0 (GNU and BSD) rather than ls: names are NUL-separated, nothing is parsed from columns.
  const r = await host.run(['find', dir, '-mindepth', '1', '-maxdepth', '1', '-print0']);
  if (r.exitCode !== 0) return null;
  return r.stdout.split('\0').filter(Boolean).map((p) => posix.basename(p));
}

export async function gatherConfFacts(host: Pick<LbHost, 'read' | 'run'>, main: string, live: string): Promise<ConfFacts> {
  const facts: ConfFacts = { files: {}, dirs: {} };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const n = needs(main, facts, new Set([live]));
    if (n.files.length === 0 && n.dirs.length === 0) break;
    await Promise.all([
      ...n.files.map(async (f) => {
        try {
          facts.files[f] = (await host.read(f))?.content.toString('utf8') ?? null;
        } catch {
          facts.files[f] = null;
        }
      }),
      ...n.dirs.map(async (d) => {
        facts.dirs[d] = await listDir(host, d);
      }),
    ]);
  }
  return facts;
}
