import { describe, expect, it } from 'vitest';
import { PreconditionError, UsageError } from '../../../src/core/errors.js';
import { renderPlanText } from '../../../src/core/render-plan.js';
import type { SchedulerDeployStep } from '../../../src/core/steps/deploy.js';
import { gatherDeployFacts, planDeploy } from '../../../src/planners/deploy.js';
import { gatherDestroyFacts, planDestroy } from '../../../src/planners/destroy.js';
import { decideGc, gatherGcFacts, planGc } from '../../../src/planners/gc.js';
import { dockerConfig, env, fakeGit, fakeScheduler, history, marathonConfig, sha, swarmConfig, SWITCH } from './fakes.js';

const A = sha('a');
const B = sha('b');
const C = sha('c');
const D = sha('d');
const E = sha('e');
const present = { imageInfo: async () => ({ id: 'sha256:x' }) as never };
const absent = { imageInfo: async () => undefined };

describe('planDeploy', () => {
  it('docker: one step naming every container, the image and the health rule', async () => {
    const config = dockerConfig();
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', []), docker: present }, config, A);
    const plan = planDeploy(config, facts, { keepFailed: false });
    expect(plan.steps).toHaveLength(1);
    const step = plan.steps[0] as SchedulerDeployStep;
    expect(step).toMatchObject({ kind: 'scheduler.deploy', environment: 'web-app-aaaaaaaaaaaa', keepFailed: false });
    expect(step.title).toBe('deploy containers web-app-aaaaaaaaaaaa-{0..2} and wait until healthy');
    expect(step.spec).toMatchObject({ image: `web-app:${A}`, instances: 3, port: 8000, env: { DEPLOYER_REVISION: A, PORT: '8000' }, labels: { 'deployer.app': 'web-app', 'deployer.revision': A } });
    const text = renderPlanText(plan);
    expect(text).toContain('published on 127.0.0.1');
    expect(text).toContain('GET / → 2xx/3xx');
    expect(text).toMatch(/Plan: 1 step\. Nothing has been changed\./);
  });

  it('without a registry: the local tag as before, no digest label, and nothing asked of a registry or the records', async () => {
    const config = dockerConfig();
    const asked: string[] = [];
    const images = { registry: undefined, remote: async (r: string) => { asked.push(`remote ${r}`); return undefined; } };
    const records = { forDigest: async () => { asked.push('forDigest'); return undefined; }, forRevision: async () => { asked.push('forRevision'); return []; } };
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', []), docker: present, images, records }, config, A);
    const step = planDeploy(config, facts, { keepFailed: false }).steps[0] as SchedulerDeployStep;
    expect(step.spec.image).toBe(`web-app:${A}`);
    expect(step.spec.labels).toEqual({ 'deployer.app': 'web-app', 'deployer.revision': A });
    expect(asked).toEqual([]);
  });

  it('swarm: one service, its exact spec in the detail, the registry note; no local image needed', async () => {
    const config = swarmConfig();
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('swarm', []), docker: absent }, config, A);
    const plan = planDeploy(config, facts, { keepFailed: false });
    const step = plan.steps[0] as SchedulerDeployStep;
    expect(step).toMatchObject({ kind: 'scheduler.deploy', scheduler: 'swarm', environment: 'web-app-aaaaaaaaaaaa' });
    expect(step.title).toBe('deploy swarm service web-app-aaaaaaaaaaaa (2 replicas) and wait until healthy');
    const detail = step.detail!.join('\n');
    expect(detail).toContain('published in host mode on each task\'s node');
    expect(detail).toContain('POST /services/create  (swarm service web-app-aaaaaaaaaaaa)');
    expect(detail).toContain('"node.labels.role==web"');
    expect(detail).toContain('"PublishMode": "host"');
    expect(plan.notes).toEqual([`every swarm node that runs a task needs web-app:${A}: beyond one node it must be in the registry`]);
    expect(plan.facts).toMatchObject({ scheduler: 'swarm', endpoint: 'swarm (local engine, 1 node)' });
  });

  it('marathon: shows the app definition in the payload style of the reported version', async () => {
    for (const [version, marker, absentKey] of [['1.4.0', '"network": "BRIDGE"', '"networks"'], ['1.6.322', '"mode": "container/bridge"', '"network": "BRIDGE"']] as const) {
      const config = marathonConfig();
      const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('marathon', [], version), docker: absent }, config, A);
      const plan = planDeploy(config, facts, { keepFailed: true });
      const step = plan.steps[0] as SchedulerDeployStep;
      expect(step.environment).toBe('/web-app/aaaaaaaaaaaa');
      const detail = step.detail!.join('\n');
      expect(detail).toContain(`PUT /v2/apps/web-app/aaaaaaaaaaaa  (Marathon ${version}`);
      expect(detail).toContain(marker);
      expect(detail).not.toContain(absentKey);
      expect(plan.facts).toMatchObject({ marathonVersion: version });
    }
  });

  it('a healthy environment of the revision is a no-op that says so', async () => {
    const config = dockerConfig('preview: { domain: preview.test, listen: "127.0.0.1:8080" }');
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A), env(B)]), docker: present }, config, A);
    const plan = planDeploy(config, facts, { keepFailed: false });
    expect(plan.steps).toEqual([]);
    expect(plan.notes[0]).toMatch(/already healthy \(3\/3\): nothing to deploy/);
    expect(plan.facts).toMatchObject({ previewUrl: 'http://aaaaaaaaaaaa.preview.test:8080/' });
    expect(renderPlanText(plan)).toContain('Plan: nothing to do.');
  });

  it('a broken existing environment is refused with exit 4 and a hint to destroy it', async () => {
    const config = dockerConfig();
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A, { healthy: 1 })]), docker: present }, config, A);
    const err = (() => {
      try {
        planDeploy(config, facts, { keepFailed: false });
      } catch (e) {
        return e;
      }
    })() as PreconditionError;
    expect(err).toBeInstanceOf(PreconditionError);
    expect(err.exitCode).toBe(4);
    expect(err.message).toMatch(/exists but is not healthy \(1\/3 healthy\)/);
    expect(err.hint).toContain(`deployer destroy ${A}`);
    expect(err.details).toHaveLength(3);
  });

  it('docker: refuses when the image is not on the engine', async () => {
    const config = dockerConfig();
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', []), docker: absent }, config, A);
    expect(() => planDeploy(config, facts, { keepFailed: false })).toThrow(/image web-app:a+ is not on the Docker engine/);
  });

  it('needs a deploy section', async () => {
    const config = { ...dockerConfig(), deploy: undefined };
    await expect(gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', []), docker: present }, config, A)).rejects.toThrow(/1 problem/);
  });
});

describe('planDestroy', () => {
  it('removes an environment found by a sha prefix (no git needed)', async () => {
    const git = { resolve: async () => { throw new Error('git must not be asked'); } };
    const facts = await gatherDestroyFacts({ git, scheduler: fakeScheduler('docker', [env(A), env(B)]) }, dockerConfig(), 'bbbbbbb');
    const plan = planDestroy(dockerConfig(), facts);
    expect(plan.steps).toMatchObject([{ kind: 'scheduler.destroy', revision: B, title: 'destroy containers web-app-bbbbbbbbbbbb-{0..2}' }]);
  });

  it('refuses the live revision and the rollback target (exit 4)', async () => {
    const config = dockerConfig(SWITCH);
    const scheduler = fakeScheduler('docker', [env(A), env(B), env(C)]);
    const h = history([A, B]);
    const live = await gatherDestroyFacts({ git: fakeGit, scheduler, history: h }, config, B);
    expect(() => planDestroy(config, live)).toThrow(/is live/);
    const rollback = await gatherDestroyFacts({ git: fakeGit, scheduler, history: h }, config, A);
    expect(() => planDestroy(config, rollback)).toThrow(/rollback target/);
    expect(planDestroy(config, await gatherDestroyFacts({ git: fakeGit, scheduler, history: h }, config, C)).steps).toHaveLength(1);
  });

  it('without a switch section there is no history to read (nothing was ever live)', async () => {
    const h = { read: async () => { throw new Error('must not be read'); } };
    const facts = await gatherDestroyFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A)]), history: h }, dockerConfig(), A);
    expect(planDestroy(dockerConfig(), facts).steps).toHaveLength(1);
  });

  it('nothing to destroy is a plan without steps; an ambiguous prefix is a usage error', async () => {
    const facts = await gatherDestroyFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A)]) }, dockerConfig(), 'main');
    const plan = planDestroy(dockerConfig(), facts);
    expect(plan.steps).toEqual([]);
    expect(plan.notes[0]).toMatch(/no environment for dddddddddddd/);
    const twins = [env(`abcdef1${'0'.repeat(33)}`), env(`abcdef1${'1'.repeat(33)}`)];
    await expect(gatherDestroyFacts({ git: fakeGit, scheduler: fakeScheduler('docker', twins) }, dockerConfig(), 'abcdef1')).rejects.toBeInstanceOf(UsageError);
  });
});

describe('gc', () => {
  const at = (day: number) => new Date(`2024-01-${String(day).padStart(2, '0')}T00:00:00Z`);

  it('keeps the live one, the rollback target and the newest up to switch.keep', () => {
    const envs = [env(A, { createdAt: at(1) }), env(B, { createdAt: at(2) }), env(C, { createdAt: at(3) }), env(D, { createdAt: at(4) }), env(E, { createdAt: at(5) })];
    expect(decideGc(envs, { live: A, rollback: B }, 3)).toEqual({
      keep: [{ revision: A, why: 'live' }, { revision: B, why: 'rollback target' }, { revision: E, why: 'one of the newest 3' }],
      remove: [D, C],
    });
    // keep smaller than the protected set: the protected ones stay anyway.
    expect(decideGc(envs, { live: A, rollback: B }, 1).remove).toEqual([E, D, C]);
    expect(decideGc(envs, {}, 2)).toEqual({ keep: [{ revision: E, why: 'one of the newest 2' }, { revision: D, why: 'one of the newest 2' }], remove: [C, B, A] });
    // an environment of unknown age is never removed by guess
    expect(decideGc([env(A, { createdAt: at(1) }), env(B)], {}, 1).remove).toEqual([A]);
  });

  it('plans one destroy step per removed environment, named up front', async () => {
    const envs = [env(A, { createdAt: at(1) }), env(B, { createdAt: at(2) }), env(C, { createdAt: at(3) })];
    const config = dockerConfig('switch: { upstream: backend, file: /etc/nginx/conf.d/backend.conf, verify: { url: "http://127.0.0.1/" }, keep: 1 }');
    const facts = await gatherGcFacts({ scheduler: fakeScheduler('docker', envs), history: history([null, A]) }, config);
    const plan = planGc(config, facts);
    expect(plan.steps.map((s) => s.title)).toEqual(['destroy containers web-app-cccccccccccc-{0..2}', 'destroy containers web-app-bbbbbbbbbbbb-{0..2}']);
    expect(plan.notes).toEqual(['keep aaaaaaaaaaaa (live)']);
  });

  it('without a switch section keeps 3 and without history protects nothing extra', async () => {
    const facts = await gatherGcFacts({ scheduler: fakeScheduler('docker', [env(A), env(B)]) }, dockerConfig());
    const plan = planGc(dockerConfig(), facts);
    expect(plan.steps).toEqual([]);
    expect(plan.notes.at(-1)).toBe('2 environments, keep 3: nothing to remove');
  });
});

describe('preview hostnames', () => {
  const withPreview = () => dockerConfig(`preview: { domain: preview.test, listen: "127.0.0.1:8080" }
switch:
  upstream: backend
  file: /etc/nginx/conf.d/backend.conf
  previewFile: /etc/nginx/conf.d/preview.conf
  verify: { url: "http://127.0.0.1/" }
  keep: 1`);

  it('deploy ends with the preview update adding the new hostname', async () => {
    const config = withPreview();
    const facts = await gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(B)]), docker: present }, config, A);
    const plan = planDeploy(config, facts, { keepFailed: false, who: 'ci@build1' });
    expect(plan.steps.map((s) => s.kind)).toEqual(['scheduler.deploy', 'nginx.update-preview']);
    expect(plan.steps[1]).toMatchObject({ add: [A], remove: [], domain: 'preview.test', lock: { who: 'ci@build1' } });
    expect(plan.facts).toMatchObject({ previewUrl: 'http://aaaaaaaaaaaa.preview.test:8080/' });
  });

  it('a healthy environment without its preview entry (an interrupted deploy) gets the entry written', async () => {
    const config = withPreview();
    const previewFile = (text: string | undefined) => ({ get: () => ({ read: async () => (text === undefined ? undefined : { content: Buffer.from(text) }) }) }) as never;
    const gather = (lb: unknown) => gatherDeployFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A)]), docker: present, lb: lb as never }, config, A);
    for (const file of [undefined, '# catch-all only\n', `# revision ${B}\n`]) {
      const plan = planDeploy(config, await gather(previewFile(file)), { keepFailed: false });
      expect(plan.steps.map((s) => s.kind)).toEqual(['nginx.update-preview']);
      expect(plan.steps[0]).toMatchObject({ add: [A], remove: [] });
      expect(plan.notes.join('\n')).toMatch(/preview entry is missing/);
    }
    // With its entry in place, a re-run is a no-op.
    expect(planDeploy(config, await gather(previewFile(`# revision ${A}\n`)), { keepFailed: false }).steps).toEqual([]);
  });

  it('destroy and gc take the hostnames away before the environments', async () => {
    const config = withPreview();
    const destroy = planDestroy(config, await gatherDestroyFacts({ git: fakeGit, scheduler: fakeScheduler('docker', [env(A), env(B)]) }, config, A));
    expect(destroy.steps.map((s) => s.kind)).toEqual(['nginx.update-preview', 'scheduler.destroy']);
    expect(destroy.steps[0]).toMatchObject({ add: [], remove: [A] });

    const at = (day: number) => new Date(`2024-01-0${day}T00:00:00Z`);
    const gc = planGc(config, await gatherGcFacts({ scheduler: fakeScheduler('docker', [env(A, { createdAt: at(1) }), env(B, { createdAt: at(2) }), env(C, { createdAt: at(3) })]) }, config));
    expect(gc.steps.map((s) => s.kind)).toEqual(['nginx.update-preview', 'scheduler.destroy', 'scheduler.destroy']);
    expect(gc.steps[0]).toMatchObject({ remove: [B, A] });
    // nothing to remove: no preview step either
    expect(planGc(config, await gatherGcFacts({ scheduler: fakeScheduler('docker', [env(A)]) }, config)).steps).toEqual([]);
  });
});
