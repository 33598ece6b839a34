import { describe, expect, it } from 'vitest';
import { renderUpstream } from '../../../src/core/nginx/upstream.js';
import { renderPlanText } from '../../../src/core/render-plan.js';
import type { SwitchStep } from '../../../src/core/steps/switch.js';
import { sha256Hex } from '../../../src/core/switch/plan-hash.js';
import type { HistoryEntry } from '../../../src/ports/history.js';
import type { TestRecord } from '../../../src/ports/records.js';
import { gatherSwitchFacts, planSwitch, resolveTarget, type SwitchFacts } from '../../../src/planners/switch.js';
import { env, fakeHosts, FakeHost, MAIN_CONF, memoryHistory, SHA_A, SHA_B, SHA_C, switchConfig } from '../../support/switch-fakes.js';

const passed = (imageId: string): TestRecord => ({ imageId, image: 'x', revision: SHA_B, passedAt: '2024-01-01T00:00:00Z', by: 'ci', junit: { tests: 3, failures: 0, errors: 0, skipped: 0 } });
const entry = (from: string | null, to: string, action: HistoryEntry['action'] = 'switch'): HistoryEntry => ({ at: '2024-01-01T00:00:00Z', by: 'x', action, from, to, hosts: ['local'], planHash: 'h' });

function setup(opts: { hosts?: string; liveOn?: string[]; envs?: ReturnType<typeof env>[]; record?: boolean; history?: HistoryEntry[] } = {}) {
  const config = switchConfig(opts.hosts ?? '');
  const names = opts.hosts ? ['lb1', 'lb2'] : ['local'];
  const hosts = names.map((n) => new FakeHost(n));
  const envs = opts.envs ?? [env(SHA_A, [32000, 32001]), env(SHA_B, [32100, 32101])];
  for (const h of hosts) {
    h.put('/lb/nginx.conf', MAIN_CONF);
    const live = opts.liveOn?.[hosts.indexOf(h)] ?? SHA_A;
    const e = envs.find((x) => x.revision === live);
    if (live !== 'none' && e) h.put('/lb/conf.d/backend.conf', renderUpstream({ name: 'backend', app: 'web-app', revision: live, backends: e.backends }));
  }
  const ports = {
    scheduler: { list: async () => envs },
    docker: { imageInfo: async (ref: string) => ({ id: `sha256:${sha256Hex(ref)}` }) as never },
    records: { get: async (id: string) => (opts.record === false ? undefined : passed(id)), forDigest: async () => undefined, forRevision: async () => [] },
    history: memoryHistory(opts.history ?? [entry(null, SHA_A)]),
    lb: fakeHosts(...hosts),
    git: { resolve: async (r: string) => { throw new Error(`git resolve ${r}`); } },
  };
  return { config, hosts, ports };
}

async function planFor(s: ReturnType<typeof setup>, rev: string | undefined, force = { force: false, reason: undefined as string | undefined }, action: 'switch' | 'rollback' = 'switch') {
  const facts = await gatherSwitchFacts(s.ports, s.config, { action, revision: rev, who: 'alice@ci' });
  return { facts, plan: planSwitch(s.config, facts, force) };
}

describe('planSwitch', () => {
  it('plans lock, the two-phase upstream switch with a diff, verify and record', async () => {
    const s = setup();
    const { plan } = await planFor(s, SHA_B);
    expect(plan.subject).toBe('switch b0b0b0b0b0b0  (live: aaaaaaaaaaaa)');
    expect(plan.steps.map((x) => x.kind)).toEqual(['switch.lock', 'nginx.switch-upstream', 'switch.verify', 'switch.record']);
    const sw = plan.steps[1] as Extract<SwitchStep, { kind: 'nginx.switch-upstream' }>;
    expect(sw.changes).toHaveLength(1);
    expect(sw.changes[0]).toMatchObject({
      host: 'local',
      path: '/lb/conf.d/backend.conf',
      staged: '/lb/conf.d/.backend.conf.deployer-staged',
      beforeSha256: sha256Hex(s.hosts[0]!.files.get('/lb/conf.d/backend.conf')!.content),
      test: { mode: 'shadow', main: '/lb/nginx.conf', argv: ['nginx', '-c', '/lb/.nginx.conf.deployer-test', '-t'] },
    });
    const text = renderPlanText(plan);
    expect(text).toContain('-    server 127.0.0.1:32000;');
    expect(text).toContain('+    server 127.0.0.1:32100;');
    expect(text).toContain(`-# revision ${SHA_A}`);
    expect(text).toContain('lock web-app on local:/state/web-app/lock');
    expect(text).toContain('verify http://127.0.0.1:8080/ serves b0b0b0b0b0b0 through local (within 1s, else switch back)');
    expect(text).toContain('record switch aaaaaaaaaaaa -> b0b0b0b0b0b0 in local:/state/web-app/history.jsonl');
    const rec = plan.steps[3] as Extract<SwitchStep, { kind: 'switch.record' }>;
    expect(rec.entry).toMatchObject({ action: 'switch', from: SHA_A, to: SHA_B, by: 'alice@ci', hosts: ['local'] });
    expect(rec.entry.planHash).toMatch(/^[0-9a-f]{64}$/);
    // Same facts, same plan hash.
    expect((await planFor(setup(), SHA_B)).plan.facts.planHash).toBe(rec.entry.planHash);
  });

  it('plans nothing when the revision is already live everywhere', async () => {
    const { plan } = await planFor(setup(), SHA_A);
    expect(plan.steps).toEqual([]);
    expect(plan.notes.join()).toMatch(/already live/);
  });

  it('resolves a short sha among the environments and history', async () => {
    const s = setup();
    expect(await resolveTarget('b0b0b0b0b0b0', [SHA_A, SHA_B], s.ports.git)).toBe(SHA_B);
    await expect(resolveTarget('main', [SHA_A], s.ports.git)).rejects.toThrow(/git resolve main/);
  });

  it('refuses a missing environment (exit 4) and says how to get one', async () => {
    await expect(planFor(setup(), SHA_C)).rejects.toMatchObject({ exitCode: 4, code: 'environment.missing', hint: expect.stringContaining(`deployer deploy ${SHA_C}`) });
  });

  it('refuses an environment that is not fully healthy, listing instances', async () => {
    const sick = env(SHA_B, [32100, 32101], { healthy: 1 });
    sick.instances[1]!.state = 'unhealthy';
    sick.instances[1]!.lastHealth = 'HTTP 500';
    sick.backends = sick.backends.slice(0, 1);
    const s = setup({ envs: [env(SHA_A, [32000]), sick] });
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'environment.unhealthy', details: expect.arrayContaining(['i1: unhealthy 127.0.0.1:32101 — HTTP 500']) });
  });

  it('says healthy instances without a usable port (port 0) are the problem, not health', async () => {
    // Marathon tasks with ports [0]: healthy, but no backend can be made of them.
    const e = env(SHA_B, [32100, 32101]);
    e.instances = e.instances.map(({ backend: _b, ...i }) => i);
    e.backends = [];
    const s = setup({ envs: [env(SHA_A, [32000]), e] });
    const err = (await planFor(s, SHA_B).then(() => undefined, (x: unknown) => x)) as { message: string };
    expect(err).toMatchObject({ exitCode: 4, code: 'backend.missing', details: ['i0: healthy (no host:port)', 'i1: healthy (no host:port)'] });
    expect(err.message).toBe('environment b0b0b0b0b0b0 has 2/2 healthy instances, but 2 of them report no host and port nginx could proxy to (port 0 or none)');
    expect(err.message).not.toMatch(/not fully healthy/);
  });

  it.each([
    [{ host: '127.0.0.1;', port: 80 }],
    [{ host: '127.0.0.1\n}', port: 80 }],
    [{ host: 'evil}', port: 80 }],
    [{ host: 'ok', port: 70000 }],
    [{ host: 'ok', port: 0 }],
  ])('refuses bad backend %j before planning any write', async (bad) => {
    const e = env(SHA_B, [1]);
    e.backends = [bad];
    const s = setup({ envs: [env(SHA_A, [32000]), e] });
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'backend.invalid' });
  });

  it('refuses an untested image unless forced with a reason, which is recorded', async () => {
    const s = setup({ record: false });
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'image.untested' });
    await expect(planFor(s, SHA_B, { force: true, reason: undefined })).rejects.toMatchObject({ exitCode: 2 });
    const { plan } = await planFor(s, SHA_B, { force: true, reason: 'hotfix' });
    expect(plan.notes.join()).toMatch(/forced past a missing test record.*hotfix/);
    const rec = plan.steps.find((x) => x.kind === 'switch.record') as Extract<SwitchStep, { kind: 'switch.record' }>;
    expect(rec.entry.forcedReason).toBe('hotfix');
  });

  it('refuses drift between hosts unless forced', async () => {
    const hosts = '  hosts: [{ local: true, name: lb1 }, { local: true, name: lb2 }]';
    const s = setup({ hosts, liveOn: [SHA_A, SHA_B] });
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'switch.drift', details: [expect.stringContaining('lb1:'), expect.stringContaining('lb2:')] });
    const { plan } = await planFor(s, SHA_B, { force: true, reason: 'lb2 was fixed by hand' });
    const sw = plan.steps[1] as Extract<SwitchStep, { kind: 'nginx.switch-upstream' }>;
    expect(sw.changes.map((c) => c.host)).toEqual(['lb1']);
    const verify = plan.steps[2] as Extract<SwitchStep, { kind: 'switch.verify' }>;
    expect(verify.probes.map((p) => p.host)).toEqual(['lb1', 'lb2']);
  });

  it('refuses when the staged file cannot be tested (the nginx config never includes the file)', async () => {
    const s = setup();
    s.hosts[0]!.put('/lb/nginx.conf', 'http { include /lb/other/*.conf; }');
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'nginx.test-config', details: [expect.stringContaining('does not include /lb/conf.d/backend.conf')] });
  });

  it('refuses a test command that runs no nginx and names no {staged}', async () => {
    const s = setup({ hosts: '  hosts: [{ local: true, name: lb1, test: [/usr/local/bin/check] }, { local: true, name: lb2 }]' });
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'nginx.test-config', details: [expect.stringContaining('lb1: the test command')] });
  });

  it('accepts a file reached through a glob include', async () => {
    const s = setup();
    s.hosts[0]!.put('/lb/nginx.conf', 'http { include /lb/conf.d/*.conf; }');
    const { plan } = await planFor(s, SHA_B);
    expect(plan.steps).toHaveLength(4);
  });

  it('switches a first time when no file exists yet (from: none)', async () => {
    const s = setup({ liveOn: ['none'], history: [] });
    const { plan } = await planFor(s, SHA_B);
    expect(plan.subject).toBe('switch b0b0b0b0b0b0  (live: none)');
    expect(renderPlanText(plan)).toContain('--- /dev/null');
  });
});

describe('rollback', () => {
  it('goes back to the revision live before the current one', async () => {
    const s = setup({ liveOn: [SHA_B], history: [entry(null, SHA_A), entry(SHA_A, SHA_B)] });
    const { plan } = await planFor(s, undefined, { force: false, reason: undefined }, 'rollback');
    expect(plan.subject).toBe('rollback to aaaaaaaaaaaa  (live: b0b0b0b0b0b0)');
    expect((plan.steps[3] as Extract<SwitchStep, { kind: 'switch.record' }>).entry).toMatchObject({ action: 'rollback', from: SHA_B, to: SHA_A });
  });

  it('says when the target environment is gone and how to restore it', async () => {
    const s = setup({ liveOn: [SHA_B], envs: [env(SHA_B, [32100])], history: [entry(null, SHA_A), entry(SHA_A, SHA_B)] });
    await expect(planFor(s, undefined, undefined, 'rollback')).rejects.toMatchObject({
      exitCode: 4, message: expect.stringContaining('rollback target aaaaaaaaaaaa has no environment'), hint: expect.stringContaining(`deployer deploy ${SHA_A}`),
    });
  });

  it('refuses with no history to go back to', async () => {
    await expect(planFor(setup({ history: [] }), undefined, undefined, 'rollback')).rejects.toMatchObject({ exitCode: 4, code: 'rollback.no-target' });
  });
});

describe('planSwitch with switch.method dynamic and host-name backends', () => {
  const hosts = '  method: dynamic\n  hosts: [{ local: true, name: lb1 }, { local: true, name: lb2 }]';
  const named = env(SHA_B, [31001, 31002], { backends: [{ host: 'agent-1.test', port: 31001 }, { host: 'agent-2.test', port: 31002 }] });
  // Each load balancer answers getent from its own resolver: lb1 and lb2 see other addresses.
  function getent(answers: Record<string, Record<string, string | undefined>>) {
    return (argv: readonly string[], h: FakeHost) => {
      if (argv[0] !== 'getent') return undefined;
      const ip = answers[h.name]?.[argv[3]!];
      return ip ? { exitCode: 0, stdout: `${ip}  STREAM ${argv[3]}\n${ip}  DGRAM\n`, stderr: '' } : { exitCode: 2, stdout: '', stderr: '' };
    };
  }

  it('resolves the names on each host: the same server lines, each host its own addresses, shown in the plan', async () => {
    const s = setup({ hosts, envs: [env(SHA_A, [32000]), named] });
    s.hosts[0]!.script = getent({ lb1: { 'agent-1.test': '10.0.0.1', 'agent-2.test': '10.0.0.2' } });
    s.hosts[1]!.script = getent({ lb2: { 'agent-1.test': '10.1.0.1', 'agent-2.test': '10.1.0.2' } });
    const { plan } = await planFor(s, SHA_B);
    for (const h of s.hosts) expect(h.runs.filter((r) => r[0] === 'getent')).toEqual([['getent', 'ahosts', '--', 'agent-1.test'], ['getent', 'ahosts', '--', 'agent-2.test']]);
    const sw = plan.steps[1] as Extract<SwitchStep, { kind: 'nginx.switch-upstream' }>;
    const [lb1, lb2] = sw.changes.map((c) => c.after);
    for (const text of [lb1!, lb2!]) expect(text.match(/^ {4}server .*$/gm)).toEqual(['    server agent-1.test:31001;', '    server agent-2.test:31002;']);
    expect(lb1).toContain(`\n${SHA_B} 100 10.0.0.1:31001 10.0.0.2:31002\n`);
    expect(lb2).toContain(`\n${SHA_B} 100 10.1.0.1:31001 10.1.0.2:31002\n`);
    const text = renderPlanText(plan);
    expect(text).toContain('resolve: agent-1.test -> 10.0.0.1  (getent ahosts on lb1;');
    expect(text).toContain('resolve: agent-1.test -> 10.1.0.1  (getent ahosts on lb2;');
    expect(plan.facts).toMatchObject({ hosts: [{ host: 'lb1', resolved: { 'agent-2.test': { addresses: ['10.0.0.2'] } } }, { host: 'lb2', resolved: { 'agent-2.test': { addresses: ['10.1.0.2'] } } }] });
  });

  it('refuses (exit 4) when a name does not resolve on one host, naming the host and the name', async () => {
    const s = setup({ hosts, envs: [env(SHA_A, [32000]), named] });
    const answers = { lb1: { 'agent-1.test': '10.0.0.1', 'agent-2.test': '10.0.0.2' }, lb2: { 'agent-1.test': '10.1.0.1' } };
    for (const h of s.hosts) h.script = getent(answers);
    await expect(planFor(s, SHA_B)).rejects.toMatchObject({
      exitCode: 4,
      code: 'backend.unresolved',
      message: 'environment b0b0b0b0b0b0 cannot be switched to with switch.method dynamic: agent-2.test does not resolve on lb2',
      details: ['lb2: agent-2.test:31002 is a host name that did not resolve to an address (no such name); the balancer needs addresses'],
    });
  });

  it('runs no getent for IP backends, and a name that is no DNS name is refused as an unsafe backend', async () => {
    const s = setup({ hosts, envs: [env(SHA_A, [32000]), env(SHA_B, [32100])] });
    await planFor(s, SHA_B);
    expect(s.hosts.flatMap((h) => h.runs).filter((r) => r[0] === 'getent')).toEqual([]);
    const bad = setup({ hosts, envs: [env(SHA_A, [32000]), env(SHA_B, [1], { backends: [{ host: '-s;x', port: 1 }] })] });
    await expect(planFor(bad, SHA_B)).rejects.toMatchObject({ exitCode: 4, code: 'backend.invalid' });
    expect(bad.hosts.flatMap((h) => h.runs).filter((r) => r[0] === 'getent')).toEqual([]);
  });
});

export type { SwitchFacts };
