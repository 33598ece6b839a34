import { describe, expect, it } from 'vitest';
import type { RawChange } from '../../../src/core/changes/classify.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { LABELS } from '../../../src/core/image-ref.js';
import { renderPlanText } from '../../../src/core/render-plan.js';
import type { CommitStep, CopyFilesStep, CreateBuildContainerStep, DeleteFilesStep, InstallDepsStep } from '../../../src/core/steps/build.js';
import { gatherDeltaFacts, planDeltaBuild, type DeltaOptions } from '../../../src/planners/delta-build.js';
import { BASE, config, fakePorts, NOW, TARGET, type FakeWorld } from './fakes.js';

const FULL_LATEST = '127.0.0.1:5000/webapp-full:latest';
const DELTA = `127.0.0.1:5000/webapp:${TARGET}`;
const baseImage = {
  id: 'sha256:base',
  labels: { [LABELS.revision]: BASE, [LABELS.kind]: 'full' },
  layers: 3,
  config: { Cmd: ['/app/run.sh'], Env: ['A=1'], ExposedPorts: { '8000/tcp': {} }, WorkingDir: '/app' },
};

function world(changes: RawChange[], over: Partial<FakeWorld> = {}): FakeWorld {
  return {
    revs: { HEAD: TARGET },
    diffs: { [`${BASE}..${TARGET}`]: changes },
    files: {
      [`${TARGET}:.dockerignore`]: 'notes/\n',
      [`${TARGET}:lib/keep.txt`]: 'x',
    },
    local: { [FULL_LATEST]: { ...baseImage } },
    remote: { [FULL_LATEST]: { ...baseImage } },
    ...over,
  };
}

async function plan(changes: RawChange[], over: Partial<FakeWorld> = {}, opts: DeltaOptions = { onInfra: 'full-build', force: false }, c = config()) {
  const facts = await gatherDeltaFacts(c, fakePorts(world(changes, over), c.registry !== undefined), 'HEAD');
  return planDeltaBuild(c, facts, opts);
}

describe('delta-build planner', () => {
  it('asks git once which directories of many deleted files remain, not once per directory', async () => {
    const deleted: RawChange[] = Array.from({ length: 500 }, (_, i) => ({ status: 'deleted', path: `gone/d${i}/f.txt` }));
    const ports = fakePorts(world([...deleted, { status: 'deleted', path: 'lib/gone.txt' }]));
    const facts = await gatherDeltaFacts(config(), ports, 'HEAD');
    expect(ports.calls.filter((c) => c.startsWith('dirsAt'))).toEqual([`dirsAt ${TARGET.slice(0, 4)} 502`]);
    expect(facts.keptDirs).toEqual(['lib']);
    const del = planDeltaBuild(config(), facts, { onInfra: 'full-build', force: false }).plan.steps.find((st) => st.kind === 'build.delete') as DeleteFilesStep;
    expect(del.dirs).toContain('/app/gone');
    expect(del.dirs).not.toContain('/app/lib');
  });

  it('code: copies added/modified files, deletes deleted and renamed-from, drops emptied dirs, commits one layer, pushes', async () => {
    const r = await plan([
      { status: 'modified', path: 'index.html' },
      { status: 'added', path: 'new/page.html' },
      { status: 'deleted', path: 'old/gone.txt' },
      { status: 'deleted', path: 'lib/gone.txt' },
      { status: 'renamed', path: 'lib/b.txt', oldPath: 'lib/a.txt' },
      { status: 'added', path: 'notes/secret.md' },
      { status: 'modified', path: 'README.md' },
    ]);
    expect(r.class).toBe('code');
    const kinds = r.plan.steps.map((s) => s.kind);
    expect(kinds).toEqual(['build.container', 'build.delete', 'build.copy', 'build.commit', 'build.push']);
    const container = r.plan.steps[0] as CreateBuildContainerStep;
    expect(container).toMatchObject({ name: `deployer-build-webapp-${TARGET.slice(0, 12)}`, image: 'sha256:base', start: true, command: { cmd: ['sleep', '2147483647'] } });
    const del = r.plan.steps[1] as DeleteFilesStep;
    expect(del.paths).toEqual(['/app/lib/a.txt', '/app/lib/gone.txt', '/app/old/gone.txt']);
    expect(del.dirs).toEqual(['/app/old']); // lib/ still has files at the target
    const copy = r.plan.steps[2] as CopyFilesStep;
    // README.md is copied (a full build would copy it), notes/ is .dockerignored.
    expect(copy).toMatchObject({ revision: TARGET, appDir: '/app', paths: ['README.md', 'index.html', 'lib/b.txt', 'new/page.html'] });
    const commit = r.plan.steps[3] as CommitStep;
    expect(commit).toMatchObject({ ref: DELTA, baseLayers: 3, provisional: true });
    expect(commit.config).toMatchObject({ Cmd: ['/app/run.sh'], Entrypoint: null, Env: ['A=1'], ExposedPorts: { '8000/tcp': {} }, WorkingDir: '/app' });
    expect(commit.config.Labels).toMatchObject({
      [LABELS.revision]: TARGET,
      [LABELS.kind]: 'delta',
      [LABELS.baseRevision]: BASE,
      [LABELS.changeClass]: 'code',
      [LABELS.builtAt]: NOW.toISOString(),
      'deployer.base-image': 'sha256:base',
    });
    const text = renderPlanText(r.plan);
    expect(text).toContain(`delta-build ${TARGET.slice(0, 12)}  (base: ${BASE.slice(0, 12)}, class: code)`);
    expect(text).toContain('+ /app/new/page.html');
    expect(text).toContain('- /app/old/gone.txt');
  });

  it('code with additions only never starts the container', async () => {
    const r = await plan([{ status: 'modified', path: 'index.html' }]);
    expect(r.plan.steps.map((s) => s.kind)).toEqual(['build.container', 'build.copy', 'build.commit', 'build.push']);
    expect((r.plan.steps[0] as CreateBuildContainerStep).start).toBe(false);
  });

  it('deps: copy, then remove depsDir and run depsInstall in appDir', async () => {
    const r = await plan([{ status: 'modified', path: 'deps.lock' }, { status: 'modified', path: 'index.html' }]);
    expect(r.class).toBe('deps');
    const deps = r.plan.steps.find((s) => s.kind === 'build.deps') as InstallDepsStep;
    expect(deps).toMatchObject({ depsDir: '/app/deps', command: ['/bin/sh', '-c', 'make deps'], workingDir: '/app' });
    expect((r.plan.steps[0] as CreateBuildContainerStep).start).toBe(true);
  });

  it('deps without changes.depsInstall is refused', async () => {
    const c = config().changes;
    const cfg = { ...config(), changes: { ...c, depsInstall: undefined } };
    await expect(plan([{ status: 'modified', path: 'deps.lock' }], {}, { onInfra: 'full-build', force: false }, cfg)).rejects.toThrow(/depsInstall is not configured/);
  });

  it('none: tags the base as the delta and pushes it', async () => {
    const r = await plan([{ status: 'modified', path: 'README.md' }]);
    expect(r.class).toBe('none');
    expect(r.plan.steps.map((s) => [s.kind, s.title])).toEqual([
      ['build.tag', `tag ${FULL_LATEST} (base, git ${BASE.slice(0, 12)}) as ${DELTA}`],
      ['build.push', `push ${DELTA}`],
    ]);
  });

  it('target equal to the base: none', async () => {
    const r = await plan([], { revs: { HEAD: BASE } });
    expect(r.class).toBe('none');
    expect(r.plan.steps[0]).toMatchObject({ kind: 'build.tag', source: 'sha256:base' });
  });

  it('infra: a full build instead, tagged as the delta too; --on-infra fail refuses with a hint', async () => {
    const changes: RawChange[] = [{ status: 'modified', path: 'Dockerfile' }, { status: 'modified', path: 'index.html' }];
    const r = await plan(changes);
    expect(r.class).toBe('infra');
    expect(r.plan.steps.map((s) => s.id)).toEqual(['build-full', 'push-full', 'tag-latest', 'push-latest', 'tag-delta', 'push-delta']);
    expect(r.plan.notes.join('\n')).toMatch(/infra change \(Dockerfile\): a delta cannot apply it, so this runs a full build instead/);
    const e = await plan(changes, {}, { onInfra: 'fail', force: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as PreconditionError).hint).toMatch(/deployer full-build/);
  });

  it('a changed .dockerignore is infra even when not listed', async () => {
    const c = config();
    const cfg = { ...c, changes: { ...c.changes, infra: ['Dockerfile'] } };
    const r = await plan([{ status: 'modified', path: '.dockerignore' }], {}, { onInfra: 'full-build', force: false }, cfg);
    expect(r.class).toBe('infra');
  });

  it('pulls the base when the local copy is missing or stale', async () => {
    const r = await plan([{ status: 'modified', path: 'index.html' }], { local: {} });
    expect(r.plan.steps[0]).toMatchObject({ kind: 'build.pull', ref: FULL_LATEST });
  });

  it('skips when the delta exists on the same base; --force rebuilds', async () => {
    const existing = { [DELTA]: { id: 'sha256:delta', labels: { 'deployer.base-image': 'sha256:base' } } };
    const r = await plan([{ status: 'modified', path: 'index.html' }], { remote: { [FULL_LATEST]: baseImage, ...existing } });
    expect(r.plan.steps).toEqual([]);
    expect(r.skipped).toMatch(/already exists/);
    const forced = await plan([{ status: 'modified', path: 'index.html' }], { remote: { [FULL_LATEST]: baseImage, ...existing } }, { onInfra: 'full-build', force: true });
    expect(forced.plan.steps.length).toBeGreaterThan(0);
    const otherBase = await plan([{ status: 'modified', path: 'index.html' }], { remote: { [FULL_LATEST]: baseImage, [DELTA]: { id: 'sha256:d', labels: { 'deployer.base-image': 'sha256:older' } } } });
    expect(otherBase.plan.steps.length).toBeGreaterThan(0);
  });

  it('refuses (exit 4) when the delta would cross build.maxLayers', async () => {
    const heavy = { ...baseImage, layers: 10 };
    const e = await plan([{ status: 'modified', path: 'index.html' }], { local: { [FULL_LATEST]: heavy }, remote: { [FULL_LATEST]: heavy } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PreconditionError);
    expect((e as PreconditionError).message).toMatch(/11 layers, more than build.maxLayers \(10\)/);
  });

  it('refuses without a full image, or with one deployer did not label', async () => {
    await expect(plan([], { local: {}, remote: {} })).rejects.toThrow(/no full image .*webapp-full:latest/);
    const unlabelled = { ...baseImage, labels: {} };
    await expect(plan([], { local: { [FULL_LATEST]: unlabelled }, remote: { [FULL_LATEST]: unlabelled } })).rejects.toThrow(/no deployer.revision label/);
  });

  it('without a registry: nothing pushed or pulled, tags are final', async () => {
    const c = config('', false);
    const r = await plan([{ status: 'modified', path: 'index.html' }], { local: { 'webapp-full:latest': { ...baseImage } } }, { onInfra: 'full-build', force: false }, c);
    expect(r.plan.steps.map((s) => s.kind)).toEqual(['build.container', 'build.copy', 'build.commit']);
    expect(r.plan.steps[2]).toMatchObject({ ref: `webapp:${TARGET}`, provisional: false });
  });

  it('exec.via ssh: the container runs sshd alone, published, and logs in with a pinned key', async () => {
    const c = config('exec: { via: ssh, ssh: { port: 2222 } }');
    const r = await plan([{ status: 'deleted', path: 'old.txt' }], {}, { onInfra: 'full-build', force: false }, c);
    const container = r.plan.steps[0] as CreateBuildContainerStep;
    expect(container.command).toEqual({ cmd: ['/usr/sbin/sshd', '-D', '-e'] });
    expect(container.ssh).toEqual({ port: 2222, hostKeyPath: '/etc/ssh/ssh_host_ed25519_key.pub', readyTimeoutSeconds: 30 });
    expect((r.plan.steps.find((s) => s.kind === 'build.commit') as CommitStep).config.Cmd).toEqual(['/app/run.sh']);
    // Nothing to run inside: no sshd either.
    const copyOnly = await plan([{ status: 'modified', path: 'index.html' }], {}, { onInfra: 'full-build', force: false }, c);
    expect((copyOnly.plan.steps[0] as CreateBuildContainerStep).ssh).toBeUndefined();
  });
});
