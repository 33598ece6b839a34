// Hashes of plans and files: what the history records as the approved plan, and what a file is
// checked against before it is replaced.

import { createHash } from 'node:crypto';

/** What the history records as "the plan that was approved": stable across runs for the same change. */
export function planHash(input: { command: string; revision: string; changes: { host: string; path: string; beforeSha256: string | null; after: string }[] }): string {
  const canonical = JSON.stringify({
    command: input.command,
    revision: input.revision,
    changes: input.changes.map((c) => [c.host, c.path, c.beforeSha256, c.after]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
