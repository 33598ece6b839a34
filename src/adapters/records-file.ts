import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PreconditionError } from '../core/errors.js';
import type { TestRecord, TestRecordStore } from '../ports/records.js';

// Test records as one JSON file per image under `state.dir`/test-records/, named by the image id.
// Written to a temporary file beside the target, then renamed: a reader (`switch`, running at the
// same time) sees the old record or the new one, never half of one.

const ID = /^sha256:[0-9a-f]{64}$/;

function fileName(imageId: string): string {
  // Image ids are content addresses; anything else is encoded so it can never leave the directory.
  return ID.test(imageId) ? `${imageId.replace(':', '-')}.json` : `${encodeURIComponent(imageId).replace(/\./g, '%2E')}.json`;
}

/** Construction does no I/O; `dir` is created on the first write. */
export function fileRecordStore(stateDir: string): TestRecordStore & { readonly dir: string } {
  const dir = join(stateDir, 'test-records');
  return {
    dir,
    async put(record) {
      const target = join(dir, fileName(record.imageId));
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
    },
    async get(imageId) {
      const file = join(dir, fileName(imageId));
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new PreconditionError(`cannot read the test record ${file}: ${(e as Error).message}`, { cause: e, code: 'records.read' });
      }
      let record: TestRecord;
      try {
        record = JSON.parse(text) as TestRecord;
      } catch (e) {
        throw new PreconditionError(`the test record ${file} is not valid JSON`, {
          hint: 'remove it and run `deployer test-image` for this revision again',
          cause: e,
          code: 'records.corrupt',
        });
      }
      if (record.imageId !== imageId) {
        throw new PreconditionError(`the test record ${file} is for image ${String(record.imageId)}, not ${imageId}`, {
          hint: 'remove it and run `deployer test-image` for this revision again',
          code: 'records.corrupt',
        });
      }
      return record;
    },
  };
}
