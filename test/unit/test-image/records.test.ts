import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileRecordStore } from '../../../src/adapters/records-file.js';
import { PreconditionError } from '../../../src/core/errors.js';
import type { TestRecord } from '../../../src/ports/records.js';
import { tmpDir, type TmpDir } from '../../support/tmp.js';

const ID = `sha256:${'ab'.repeat(32)}`;
const record: TestRecord = {
  imageId: ID, image: 'web:abc', revision: 'abc', passedAt: '2024-05-01T12:00:00.000Z', by: 'jenkins@ci',
  junit: { tests: 3, failures: 0, errors: 0, skipped: 1 },
};

let dir: TmpDir | undefined;
afterEach(async () => dir?.cleanup());

describe('fileRecordStore', () => {
  it('writes one JSON file per image id, creating the directory, and reads it back', async () => {
    dir = await tmpDir('records-');
    const store = fileRecordStore(join(dir.path, 'state'));
    expect(await store.get(ID)).toBeUndefined();
    await store.put(record);
    expect(await store.get(ID)).toEqual(record);
    expect(await readdir(store.dir)).toEqual([`sha256-${'ab'.repeat(32)}.json`]);
    expect(JSON.parse(await readFile(join(store.dir, `sha256-${'ab'.repeat(32)}.json`), 'utf8'))).toEqual(record);
    await store.put({ ...record, by: 'again' });
    expect((await store.get(ID))?.by).toBe('again');
    expect(await readdir(store.dir)).toHaveLength(1); // no temp files left behind
  });

  it('keeps odd ids inside the directory', async () => {
    dir = await tmpDir('records-');
    const store = fileRecordStore(dir.path);
    await store.put({ ...record, imageId: '../../etc/passwd' });
    expect(await readdir(store.dir)).toEqual(['%2E%2E%2F%2E%2E%2Fetc%2Fpasswd.json']);
    expect(await store.get('../../etc/passwd')).toMatchObject({ imageId: '../../etc/passwd' });
  });

  it('says so when a record is corrupt or belongs to another image', async () => {
    dir = await tmpDir('records-');
    const store = fileRecordStore(dir.path);
    await store.put(record);
    const file = join(store.dir, `sha256-${'ab'.repeat(32)}.json`);
    await writeFile(file, '{ half');
    await expect(store.get(ID)).rejects.toThrow(PreconditionError);
    await writeFile(file, JSON.stringify({ ...record, imageId: 'sha256:other' }));
    await expect(store.get(ID)).rejects.toThrow(/is for image sha256:other/);
  });

  it('construction touches nothing', () => {
    const store = fileRecordStore('/nonexistent/never/created');
    expect(store.dir).toBe('/nonexistent/never/created/test-records');
  });
});
