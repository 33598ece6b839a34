// Fault cases: deploy and switch racing for the nginx files. deploy's preview update and switch take
// the same lock: a switch that finds deploy holding it is refused at once (exit 3, naming the
// holder); a deploy that finds a switch holding it waits for it, and both succeed. The overlap is
// made certain by holding the first run's nginx test until the second has met the lock. Either way
// the preview and upstream files stay valid nginx (`nginx -t` passes) and hold what both runs did.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { faultCase } from '../support/fault-case.js';
import { makeDeployFaultWorld, type DeployFaultWorld } from '../support/deploy-faults.js';
import { heldLock, stagedLeftovers } from '../support/nothing-lost.js';

let w: DeployFaultWorld;
let cfg: string;

beforeAll(async () => {
  w = await makeDeployFaultWorld('faults-race');
  cfg = await w.config('deployer');
});
afterEach(() => w.destroyAll());
afterAll(() => w?.close());

const C = 'concurrency';
const switchArgs = (rev: string) => ['switch', rev, '--yes', '--force', '--reason', 'fault case: racing deploy'];

/** The files after both runs: valid nginx, both revisions previewed, nothing staged, no lock. */
async function bothApplied(a: string, b: string): Promise<string[]> {
  const lost = [...(await w.nginxValid()), ...(await stagedLeftovers(w.previewFile, w.upstreamFile)), ...(await heldLock(join(w.dir, 'state'), w.app))];
  const { preview } = await w.files();
  for (const rev of [a, b]) if (!preview.includes(`# revision ${rev}`)) lost.push(`the preview file lost ${rev.slice(0, 12)}:\n${preview}`);
  return lost;
}

describe('deploy and switch racing on the nginx files', () => {
  faultCase(C, 'a switch while deploy writes the preview: the switch is refused (exit 3) naming the holder; deploy finishes', async () => {
    const a = await w.newRevision();
    const b = await w.newRevision();
    const first = await w.cli(cfg, ['deploy', a]);
    if (first.exitCode !== 0) throw new Error(`deploy ${a} failed:\n${first.stderr}`);
    const upstream = (await w.files()).upstream;
    await writeFile(w.holdFile, '');
    const deploy = w.start(cfg, ['deploy', b]);
    await deploy.waitForFile(w.heldFile);
    const sw = await w.cli(cfg, switchArgs(a));
    await rm(w.heldFile, { force: true });
    const d = await deploy.result();
    const lost = await bothApplied(a, b);
    if (d.exitCode !== 0) lost.push(`deploy exited ${d.exitCode}:\n${d.stderr}`);
    if ((await w.files()).upstream !== upstream) lost.push('the refused switch changed the upstream file');
    return { exitCode: sw.exitCode, expectedExit: 3, output: sw.stdout + sw.stderr, message: /the switch lock \S+ is held by \S+ \(preview [0-9a-f]{12}/, lost };
  });

  faultCase(C, 'a deploy while a switch is testing: deploy waits for the lock, then both succeed', async () => {
    const a = await w.newRevision();
    const b = await w.newRevision();
    const first = await w.cli(cfg, ['deploy', a]);
    if (first.exitCode !== 0) throw new Error(`deploy ${a} failed:\n${first.stderr}`);
    await writeFile(w.holdFile, '');
    const sw = w.start(cfg, switchArgs(a));
    await sw.waitForFile(w.heldFile);
    const deploy = w.start(cfg, ['deploy', b]);
    await deploy.waitForText('waiting for the switch lock');
    await rm(w.heldFile, { force: true });
    const [s, d] = await Promise.all([sw.result(), deploy.result()]);
    const lost = await bothApplied(a, b);
    if (s.exitCode !== 0) lost.push(`switch exited ${s.exitCode}:\n${s.stderr}`);
    const { upstream } = await w.files();
    if (!/server 127\.0\.0\.1:\d+;/.test(upstream) || upstream.includes('127.0.0.1:9;')) lost.push(`the upstream file does not name ${a.slice(0, 12)}'s backend:\n${upstream}`);
    return { exitCode: d.exitCode, expectedExit: 0, output: `${s.stdout}${s.stderr}\n--- deploy ---\n${d.stderr}${d.stdout}`, message: new RegExp(`${a.slice(0, 12)} is live[\\s\\S]*--- deploy ---[\\s\\S]*waiting for the switch lock[\\s\\S]*preview: http://${b.slice(0, 12)}\\.preview\\.test`), lost };
  });
});
