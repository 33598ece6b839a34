import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StepFailedError } from '../core/errors.js';
import type { LocalFiles } from '../ports/files.js';

export const localFiles: LocalFiles = {
  async writeAtomic(path, content) {
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, content);
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new StepFailedError(`cannot write ${path}: ${(e as Error).message}`, { cause: e, code: 'file.write' });
    }
  },
};
