import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file below `dir`, for tests that read the source as text (purity, typed plans). */
export function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}
