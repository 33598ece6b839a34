// Fault cases: SIGINT and SIGTERM at each phase of `deployer deploy` on Marathon — while the app is
// being created (the PUT carried out, its answer held), while waiting for health (deployments
// hang), and while the preview file is being written (its nginx test held). Phases are reached by
// what the run shows (a held request, a log line, a marker file), never by sleeping. Each exits 130
// with cleanup: no app left in Marathon, the nginx files byte-identical, no staged file, no lock;
// an environment interrupted during its preview update is finished by running deploy again.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import { faultCase } from '../support/fault-case.js';
import { makeDeployFaultWorld, type DeployFaultWorld } from '../support/deploy-faults.js';
import { heldLock } from '../support/nothing-lost.js';

let w: DeployFaultWorld;
let cfg: string;

beforeAll(async () => {
  w = await makeDeployFaultWorld('faults-sigdeploy');
  cfg = await w.config('deployer');
});
afterEach(() => w.destroyAll());
afterAll(() => w?.close());

const C = 'signals: deploy';
const interrupted = (sig: string) => new RegExp(`${sig} received, stopping and cleaning up[\\s\\S]*interrupted \\(${sig}\\); cleanup ran`);

describe('signals during deploy', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    faultCase(C, `${sig} while the app is being created (PUT carried out, answer held): exit 130, the app removed`, async () => {
      const rev = await w.newRevision();
      const before = await w.files();
      const held = w.marathon.holdNext('PUT', `/v2/apps${w.appId(rev)}`);
      const run = w.start(cfg, ['deploy', rev]);
      await held.received;
      run.child.kill(sig);
      const r = await run.result();
      held.release();
      return {
        exitCode: r.exitCode,
        expectedExit: 130,
        output: r.stdout + r.stderr,
        message: interrupted(sig),
        lost: [...(await w.leftInMarathon()), ...(await w.filesUntouched(before)), ...(await heldLock(join(w.dir, 'state'), w.app))],
      };
    });

    faultCase(C, `${sig} while waiting for health: exit 130, the app removed`, async () => {
      const rev = await w.newRevision();
      const before = await w.files();
      w.marathon.hangDeployments(true);
      const run = w.start(cfg, ['deploy', rev]);
      await run.waitForText(`PUT ${w.appId(rev)}: deployment`);
      run.child.kill(sig);
      const r = await run.result();
      w.marathon.hangDeployments(false);
      return {
        exitCode: r.exitCode,
        expectedExit: 130,
        output: r.stdout + r.stderr,
        message: interrupted(sig),
        lost: [...(await w.leftInMarathon()), ...(await w.filesUntouched(before)), ...(await heldLock(join(w.dir, 'state'), w.app))],
      };
    });

    faultCase(C, `${sig} while the preview file is written (its nginx test running): exit 130, the file untouched; the re-run finishes it`, async () => {
      const rev = await w.newRevision();
      const before = await w.files();
      await writeFile(w.holdFile, '');
      const run = w.start(cfg, ['deploy', rev]);
      await run.waitForFile(w.heldFile);
      run.child.kill(sig);
      const r = await run.result();
      await rm(w.heldFile, { force: true });
      const lost = [...(await w.filesUntouched(before)), ...(await heldLock(join(w.dir, 'state'), w.app))];
      // The environment stays (healthy, told to the user); running deploy again writes its entry.
      const again = await w.cli(cfg, ['deploy', rev]);
      if (again.exitCode !== 0) lost.push(`the re-run exited ${again.exitCode}`);
      const after = await w.files();
      if (!after.preview.includes(`# revision ${rev}`)) lost.push(`the re-run left the preview without ${rev.slice(0, 12)}:\n${after.preview}`);
      if (after.upstream !== before.upstream) lost.push('the upstream file changed');
      lost.push(...(await w.nginxValid()));
      return {
        exitCode: r.exitCode,
        expectedExit: 130,
        output: `${r.stdout}${r.stderr}\n--- re-run ---\n${again.stdout}${again.stderr}`,
        message: new RegExp(`${interrupted(sig).source}[\\s\\S]*--- re-run ---[\\s\\S]*was already healthy[^\\n]*its missing preview entry was written[\\s\\S]*preview: http://${rev.slice(0, 12)}\\.preview\\.test`),
        lost,
      };
    });
  }
});
