import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { problems } from '../../support/config-problems.js';
import { hookCommands, withDeployHooks, withSwitchHooks } from '../../../src/core/hooks/plan.js';
import type { Step } from '../../../src/core/steps/index.js';

const BASE = 'app: web\nimages: {full: f, delta: d}\nbuild: {appDir: /app}\n';
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const step = (id: string, kind: string) => ({ id, kind, title: id }) as unknown as Step;


describe('hooks: config', () => {
  it('the example config shows a migration, a chat notification and a failure notification', () => {
    const c = parseConfigText(readFileSync(new URL('../../../deployer.example.yaml', import.meta.url), 'utf8'), 'deployer.example.yaml');
    expect(c.hooks['pre-switch'].map((h) => h.name)).toEqual(['migrate-db']);
    expect(c.hooks['post-switch'][0]!.command[0]).toBe('curl');
    expect(c.hooks.failed).toHaveLength(1);
    expect(c.hooks['pre-deploy']).toEqual([]);
  });

  it('refuses a shell string, an unknown event, an unknown placeholder, a zero timeout; all at once', () => {
    expect(problems(`${BASE}hooks:\n  pre-switch: [{ command: "curl x | sh" }]\n  on-deploy: []\n  post-switch: [{ command: [echo, "{DEPLOYER_SECRET}"], timeoutSeconds: 0 }]\n`)).toEqual([
      'hooks/pre-switch/0/command: should be a list, got "curl x | sh"',
      'hooks/post-switch/0/command: may only use the placeholders {DEPLOYER_APP}, {DEPLOYER_EVENT}, {DEPLOYER_COMMAND}, {DEPLOYER_REVISION}, {DEPLOYER_PREVIOUS}, {DEPLOYER_DIGEST}, {DEPLOYER_WHO}, {DEPLOYER_PREVIEW_URL}, {DEPLOYER_ERROR}',
      'hooks/post-switch/0/timeoutSeconds: should be greater than 0, got 0',
      'hooks/on-deploy: is not a known key (see deployer.example.yaml)',
    ]);
  });
});

describe('hooks: planning (pure)', () => {
  const config = parseConfigText(`${BASE}preview: { domain: preview.example.com, listen: 8080 }\nhooks:
  pre-switch: [{ name: migrate, command: [./migrate, "--to={DEPLOYER_REVISION}"], timeoutSeconds: 5 }]
  post-switch: [{ command: [notify, "{DEPLOYER_PREVIOUS} -> {DEPLOYER_REVISION} by {DEPLOYER_WHO}"] }]
  post-rollback: [{ command: [notify-rollback] }]
  pre-deploy: [{ command: [check] }]
  post-deploy: [{ command: [announce, "{DEPLOYER_PREVIEW_URL}"] }]
  failed: [{ name: alarm, command: [alarm, "{DEPLOYER_ERROR}"] }]
`, 'deployer.yaml');
  const facts = { app: 'web', revision: B, previous: A, who: 'ann@ci', digest: 'sha256:abc' };

  it('variables and placeholders are fixed in the plan; {DEPLOYER_ERROR} waits for the failure', () => {
    const [post] = hookCommands(config, 'post-switch', { ...facts, command: 'switch' });
    expect(post!.name).toBe('post-switch-1');
    expect(post!.argv).toEqual(['notify', `${A} -> ${B} by ann@ci`]);
    expect(post!.env).toEqual({
      DEPLOYER_APP: 'web', DEPLOYER_EVENT: 'post-switch', DEPLOYER_COMMAND: 'switch', DEPLOYER_REVISION: B, DEPLOYER_PREVIOUS: A,
      DEPLOYER_DIGEST: 'sha256:abc', DEPLOYER_WHO: 'ann@ci', DEPLOYER_PREVIEW_URL: `http://${B.slice(0, 12)}.preview.example.com:8080/`,
    });
    expect(post!.timeoutMs).toBe(300_000);
    expect(hookCommands(config, 'failed', { ...facts, command: 'switch' })[0]!.argv).toEqual(['alarm', '{DEPLOYER_ERROR}']);
  });

  it('switch: failed armed and pre-switch right after the lock, post-switch last; rollback gets post-rollback', () => {
    const steps = [step('lock', 'switch.lock'), step('switch-upstream', 'nginx.switch-upstream'), step('verify', 'switch.verify'), step('record', 'switch.record')];
    const ids = (s: Step[]) => s.map((x) => x.id);
    expect(ids(withSwitchHooks(config, steps, { ...facts, command: 'switch' })))
      .toEqual(['lock', 'hook-failed-1', 'hook-pre-switch-1', 'switch-upstream', 'verify', 'record', 'hook-post-switch-1']);
    expect(ids(withSwitchHooks(config, steps, { ...facts, command: 'rollback' })).at(-1)).toBe('hook-post-rollback-1');
    const pre = withSwitchHooks(config, steps, { ...facts, command: 'switch' })[2]!;
    expect(pre).toMatchObject({ kind: 'hook.run', onFailure: 'abort', argv: ['./migrate', `--to=${B}`], timeoutMs: 5000 });
    expect(pre.title).toBe(`hook migrate: ./migrate --to=${B}  (within 5s; a failure stops here, before anything changes)`);
    expect(withSwitchHooks(config, [], { ...facts, command: 'switch' })).toEqual([]);
  });

  it('deploy: failed armed and pre-deploy first, post-deploy last', () => {
    const out = withDeployHooks(config, [step('deploy', 'scheduler.deploy')], { ...facts, previous: null });
    expect(out.map((s) => [s.id, s.kind])).toEqual([
      ['hook-failed-1', 'hook.on-failure'], ['hook-pre-deploy-1', 'hook.run'], ['deploy', 'scheduler.deploy'], ['hook-post-deploy-1', 'hook.run'],
    ]);
    expect(out[3]).toMatchObject({ onFailure: 'report', argv: ['announce', `http://${B.slice(0, 12)}.preview.example.com:8080/`] });
  });
});
