import { describe, expect, it } from 'vitest';
import { PreconditionError } from '../../../src/core/errors.js';
import { LABELS } from '../../../src/core/image-ref.js';
import { renderPlanText } from '../../../src/core/render-plan.js';
import { gatherFullBuildFacts, planFullBuild } from '../../../src/planners/full-build.js';
import { BASE, config, fakePorts, NOW, TARGET, type FakeWorld } from './fakes.js';

const world = (over: Partial<FakeWorld> = {}): FakeWorld => ({
  revs: { HEAD: TARGET },
  diffs: {},
  files: { [`${TARGET}:Dockerfile`]: 'FROM x', [`${TARGET}:.dockerignore`]: '.git\nnotes/\n' },
  local: {},
  remote: {},
  ...over,
});

describe('full-build planner', () => {
  it('builds from git, pushes :sha, then moves and pushes :latest; every tag provisional until pushed', async () => {
    const c = config();
    const facts = await gatherFullBuildFacts(c, fakePorts(world({ local: { '127.0.0.1:5000/webapp-full:latest': { id: 'sha256:old' } } })), 'HEAD', { checkWorkTree: true });
    const { plan, skipped } = planFullBuild(c, facts, { allowDirty: false });
    expect(skipped).toBeUndefined();
    const ref = `127.0.0.1:5000/webapp-full:${TARGET}`;
    expect(plan.steps.map((s) => [s.kind, s.title])).toEqual([
      ['build.image', `build ${ref} from git ${TARGET.slice(0, 12)} (Dockerfile)`],
      ['build.push', `push ${ref}`],
      ['build.tag', `tag ${ref} as 127.0.0.1:5000/webapp-full:latest`],
      ['build.push', 'push 127.0.0.1:5000/webapp-full:latest'],
    ]);
    expect(plan.steps[0]).toMatchObject({
      revision: TARGET,
      exclude: ['.git', 'notes'],
      provisional: true,
      labels: { [LABELS.revision]: TARGET, [LABELS.kind]: 'full', [LABELS.builtAt]: NOW.toISOString(), [LABELS.app]: 'webapp' },
    });
    expect(plan.steps[2]).toMatchObject({ provisional: true, previousId: 'sha256:old' });
    expect(plan.notes).toEqual([]);
  });

  it('without a registry: local tags only, and the plan says so', async () => {
    const c = config('', false);
    const facts = await gatherFullBuildFacts(c, fakePorts(world(), false), 'HEAD', { checkWorkTree: true });
    const { plan } = planFullBuild(c, facts, { allowDirty: false });
    expect(plan.steps.map((s) => s.kind)).toEqual(['build.image', 'build.tag']);
    expect(plan.steps.every((s) => !('provisional' in s) || s.provisional === false)).toBe(true);
    expect(renderPlanText(plan)).toMatch(/no registry configured: images stay on the local engine/);
  });

  it('refuses a dirty work tree (exit 4) unless --allow-dirty, which tags -dirty and never :latest', async () => {
    const c = config();
    const facts = await gatherFullBuildFacts(c, fakePorts(world({ dirty: true })), 'HEAD', { checkWorkTree: true });
    expect(() => planFullBuild(c, facts, { allowDirty: false })).toThrow(PreconditionError);
    const { plan } = planFullBuild(c, facts, { allowDirty: true });
    expect(plan.steps.map((s) => s.title)).toEqual([
      `build 127.0.0.1:5000/webapp-full:${TARGET}-dirty from git ${TARGET.slice(0, 12)} (Dockerfile)`,
      `push 127.0.0.1:5000/webapp-full:${TARGET}-dirty`,
    ]);
    expect(plan.steps[0]).toMatchObject({ labels: { [LABELS.dirty]: 'true' } });
  });

  it('--if-older-than skips when :latest is younger, builds when older', async () => {
    const c = config();
    const latest = { '127.0.0.1:5000/webapp-full:latest': { labels: { [LABELS.builtAt]: new Date(NOW.getTime() - 3 * 3_600_000).toISOString(), [LABELS.revision]: BASE } } };
    const facts = await gatherFullBuildFacts(c, fakePorts(world({ remote: latest })), 'HEAD', { checkWorkTree: true });
    const young = planFullBuild(c, facts, { allowDirty: false, ifOlderThanMs: 24 * 3_600_000 });
    expect(young.plan.steps).toEqual([]);
    expect(young.skipped).toMatch(/built 3h ago, less than 1d \(--if-older-than\)/);
    const old = planFullBuild(c, facts, { allowDirty: false, ifOlderThanMs: 3_600_000 });
    expect(old.plan.steps.length).toBe(4);
  });

  it('checks registry access before a long build, and refuses a missing Dockerfile', async () => {
    const c = config();
    const ports = fakePorts(world({ registryDown: new PreconditionError('registry refused the credentials') }));
    await expect(gatherFullBuildFacts(c, ports, 'HEAD', { checkWorkTree: true })).rejects.toThrow(/refused/);
    const facts = await gatherFullBuildFacts(c, fakePorts(world({ files: {} })), 'HEAD', { checkWorkTree: true });
    expect(() => planFullBuild(c, facts, { allowDirty: false })).toThrow(/Dockerfile does not exist/);
  });
});
