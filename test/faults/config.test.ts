// Fault cases: a deployer.yaml that is hostile or broken is a config error (exit 2) naming the file,
// and the file itself is left as the user wrote it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { runCli } from '../support/cli.js';
import { faultCase } from '../support/fault-case.js';
import { unchangedFile } from '../support/nothing-lost.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`), 'app: *i', ''].join('\n');

const CASES: Array<[string, string]> = [
  ['an alias bomb', BOMB],
  ['an undefined alias', 'app: *nowhere\n'],
  ['a tab-indented mapping', 'app: x\ndeploy:\n\tinstances: 2\n'],
  ['an unknown key', 'app: x\nimages: { full: a/full, delta: a/delta }\nbuild: { context: ., appDir: /app }\ndeploy: { instancez: 2 }\n'],
  ['a hook given as a shell string', 'app: x\nimages: { full: a/full, delta: a/delta }\nbuild: { context: ., appDir: /app }\nhooks: { post-switch: [{ command: "curl $URL | sh" }] }\n'],
];

describe('config faults', () => {
  let dir: TmpDir;
  beforeAll(async () => {
    dir = await tmpDir('deployer-faults-config-');
  });
  afterAll(() => dir.cleanup());

  for (const [name, text] of CASES) {
    faultCase('config', `${name} is a config error naming the file`, async () => {
      const file = join(dir.path, `${name.replace(/\W+/g, '-')}.yaml`);
      await writeFile(file, text);
      const r = await runCli(['--config', file, 'status'], { cwd: dir.path });
      return {
        exitCode: r.exitCode,
        expectedExit: 2,
        output: r.stdout + r.stderr,
        message: new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
        lost: await unchangedFile(file, text),
      };
    });
  }
});
