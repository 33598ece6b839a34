import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PreconditionError } from '../core/errors.js';
import type { TestRecord, TestRecordStore } from '../ports/records.js';

// Test records as one JSON file per image under `state.dir`/test-records/, named by the image id,
// and (for images in a registry) a copy under by-digest/, named by the manifest digest. Without a
// registry this is the store; with one it is the cache in front of it (src/adapters/records-registry.ts).
// Written to a temporary file beside the target, then renamed: a reader (`switch`, running at the
// same time) sees the old record or the new one, never half of one.

const ID = /^sha256:[0-9a-f]{64}$/;

function fileName(imageId: string): string {
  // Image ids are content addresses; anything else is encoded so it can never leave the directory.
  return ID.test(imageId) ? `${imageId.replace(':', '-')}.json` : `${encodeURIComponent(imageId).replace(/\./g, '%2E')}.json`;
}

async function writeRecord(dir: string, name: string, record: TestRecord): Promise<void> {
  const target = join(dir, name);
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new PreconditionError(`cannot write the test record ${target}: ${(e as Error).message}`, {
      hint: 'check that state.dir in deployer.yaml is writable',
      cause: e,
      code: 'records.write',
    });
  }
}

async function readRecord(file: string): Promise<TestRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PreconditionError(`cannot read the test record ${file}: ${(e as Error).message}`, { cause: e, code: 'records.read' });
  }
  try {
    return JSON.parse(text) as TestRecord;
  } catch (e) {
    throw new PreconditionError(`the test record ${file} is not valid JSON`, {
      hint: 'remove it and run `deployer test-image` for this revision again',
      cause: e,
      code: 'records.corrupt',
    });
  }
}

function mismatch(file: string, what: string, got: unknown, want: string): PreconditionError {
  return new PreconditionError(`the test record ${file} is for ${what} ${String(got)}, not ${want}`, {
    hint: 'remove it and run `deployer test-image` for this revision again',
    code: 'records.corrupt',
  });
}

/** Construction does no I/O; `dir` is created on the first write. */
export function fileRecordStore(stateDir: string): TestRecordStore & { readonly dir: string } {
  const dir = join(stateDir, 'test-records');
  const byDigest = join(dir, 'by-digest');
  return {
    dir,
    where: dir,
    async put(record) {
      await writeRecord(dir, fileName(record.imageId), record);
      if (record.digest && ID.test(record.digest)) await writeRecord(byDigest, fileName(record.digest), record);
    },
    async get(imageId) {
      const file = join(dir, fileName(imageId));
      const record = await readRecord(file);
      if (record && record.imageId !== imageId) throw mismatch(file, 'image', record.imageId, imageId);
      return record;
    },
    async forDigest(_repository, digest) {
      const file = join(byDigest, fileName(digest));
      const record = await readRecord(file);
      if (record && record.digest !== digest) throw mismatch(file, 'digest', record.digest, digest);
      return record;
    },
    async forRevision(_repository, revision) {
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
      const all = await Promise.all(names.map((n) => readRecord(join(dir, n)).catch(() => undefined)));
      return all.filter((r): r is TestRecord => r?.revision === revision);
    },
  };
}
