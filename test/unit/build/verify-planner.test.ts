import { describe, expect, it } from 'vitest';
import { LABELS } from '../../../src/core/image-ref.js';
import { gatherVerifyFacts, planVerify } from '../../../src/planners/verify.js';
import { config, fakePorts, TARGET, type FakeWorld } from './fakes.js';

const FULL = `127.0.0.1:5000/webapp-full:${TARGET}`;
const DELTA = `127.0.0.1:5000/webapp:${TARGET}`;
const world = (over: Partial<FakeWorld>): FakeWorld => ({ revs: { HEAD: TARGET }, diffs: {}, files: {}, local: {}, remote: {}, ...over });

describe('verify planner', () => {
  it('builds the full image when none exists (kept local), pulls the delta, compares ignoring volatile and changes.ignore paths', async () => {
    const c = config();
    const plan = planVerify(c, await gatherVerifyFacts(c, fakePorts(world({ remote: { [DELTA]: { labels: { [LABELS.kind]: 'delta' } } } })), 'HEAD'));
    expect(plan.steps.map((s) => s.kind)).toEqual(['build.pull', 'build.image', 'build.compare']);
    expect(plan.steps[1]).toMatchObject({ tag: FULL, provisional: false });
    expect(plan.steps[2]).toMatchObject({ full: FULL, delta: DELTA });
    expect((plan.steps[2] as { ignore: string[] }).ignore).toEqual(expect.arrayContaining(['/tmp/**', '/app/README.md']));
  });

  it('reuses a local full image', async () => {
    const c = config('', false);
    const plan = planVerify(c, await gatherVerifyFacts(c, fakePorts(world({ local: { [`webapp-full:${TARGET}`]: {}, [`webapp:${TARGET}`]: {} } }), false), 'HEAD'));
    expect(plan.steps.map((s) => s.kind)).toEqual(['build.compare']);
  });

  it('refuses without a delta image', async () => {
    const c = config();
    await expect(gatherVerifyFacts(c, fakePorts(world({})), 'HEAD').then((f) => planVerify(c, f))).rejects.toThrow(/no delta image/);
  });
});
