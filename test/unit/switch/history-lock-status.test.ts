import { describe, expect, it } from 'vitest';
import { renderUpstream } from '../../../src/core/nginx/upstream.js';
import { revisionMatches } from '../../../src/core/switch/revision-header.js';
import { describeEntry, liveFromHistory, protectedByHistory, rollbackTarget } from '../../../src/core/switch/history.js';
import { lockHeldError, releaseDecision } from '../../../src/core/switch/lock.js';
import type { HistoryEntry } from '../../../src/ports/history.js';
import type { LockOwner } from '../../../src/ports/lock.js';
import { planLockRelease } from '../../../src/planners/lock.js';
import { renderStatus } from '../../../src/cli/views/status.js';
import { computeStatus } from '../../../src/planners/status.js';
import { resolveSwitchHosts } from '../../../src/core/switch/hosts.js';
import { env, SHA_A, SHA_B, SHA_C, switchConfig } from '../../support/switch-fakes.js';

const e = (action: HistoryEntry['action'], from: string | null, to: string): HistoryEntry => ({ at: '2024-01-02T03:04:05Z', by: 'bob', action, from, to, hosts: ['local'], planHash: 'f'.repeat(64) });

describe('history', () => {
  it('live is the last entry; the rollback target skips auto-reverts', () => {
    const h = [e('switch', null, SHA_A), e('switch', SHA_A, SHA_B), e('auto-revert', SHA_C, SHA_B)];
    expect(liveFromHistory(h)).toBe(SHA_B);
    expect(rollbackTarget(h, SHA_B)).toBe(SHA_A);
    expect(protectedByHistory(h)).toEqual({ live: SHA_B, rollback: SHA_A });
  });
  it('a rollback makes the previous revision the next rollback target (toggle)', () => {
    const h = [e('switch', null, SHA_A), e('switch', SHA_A, SHA_B), e('rollback', SHA_B, SHA_A)];
    expect(rollbackTarget(h, SHA_A)).toBe(SHA_B);
  });
  it('knows no target for a first switch or an empty history', () => {
    expect(rollbackTarget([e('switch', null, SHA_A)], SHA_A)).toBeUndefined();
    expect(rollbackTarget([], null)).toBeUndefined();
    expect(protectedByHistory([])).toEqual({});
  });
  it('describes an entry on one line', () => {
    expect(describeEntry({ ...e('switch', SHA_A, SHA_B), forcedReason: 'hotfix' })).toBe(
      '2024-01-02T03:04:05Z  switch       aaaaaaaaaaaa -> b0b0b0b0b0b0  by bob  on local  plan ffffffffffff  forced: hotfix',
    );
  });
});

describe('revisionMatches', () => {
  it.each([
    [SHA_B, true], [SHA_B.slice(0, 12), true], [SHA_B.toUpperCase(), true], [` ${SHA_B} `, true],
    [SHA_B.slice(0, 11), false], [SHA_A, false], [undefined, false], ['', false], [[SHA_B], true],
  ])('header %j → %s', (h, ok) => {
    expect(revisionMatches(h as string | string[] | undefined, SHA_B)).toBe(ok);
  });
});

const owner: LockOwner = { who: 'alice@ci', when: '2024-01-01T00:00:00Z', pid: 4242, host: 'ci01', revision: SHA_B, command: 'switch' };

describe('lock decisions', () => {
  it('exit 3 naming the holder; stale ones point at lock release', () => {
    const dead = lockHeldError('local:/state/web-app/lock', { owner, holder: 'dead' });
    expect(dead.exitCode).toBe(3);
    expect(dead.message).toBe('the switch lock local:/state/web-app/lock is held by alice@ci (switch b0b0b0b0b0b0, pid 4242 on ci01, since 2024-01-01T00:00:00Z) — stale: that process is not running any more');
    expect(dead.hint).toContain('deployer lock release');
    expect(lockHeldError('x', { owner, holder: 'alive' }).hint).toMatch(/wait/);
    expect(lockHeldError('x', { owner, holder: 'unknown' }).hint).toMatch(/--force/);
  });
  it('releases a dead holder\'s lock; a live or unknown one only when forced', () => {
    expect(releaseDecision({ owner, holder: 'dead' }, false)).toBe('release');
    expect(releaseDecision({ owner, holder: 'alive' }, false)).toBe('refuse');
    expect(releaseDecision({ owner: null, holder: 'unknown' }, false)).toBe('refuse');
    expect(releaseDecision({ owner, holder: 'alive' }, true)).toBe('release');
  });
  it('plans a release step carrying the owner it saw, or nothing when not held', () => {
    const config = switchConfig();
    const plan = planLockRelease(config, { location: 'local:/state/web-app/lock', state: { owner, holder: 'dead' } }, { force: false });
    expect(plan.steps).toEqual([expect.objectContaining({ kind: 'switch.release-lock', host: 'local', path: '/state/web-app/lock', owner: { who: 'alice@ci', when: owner.when, pid: 4242, host: 'ci01', revision: SHA_B } })]);
    expect(planLockRelease(config, { location: 'l', state: undefined }, { force: false }).steps).toEqual([]);
    expect(() => planLockRelease(config, { location: 'l', state: { owner, holder: 'alive' } }, { force: false })).toThrow(expect.objectContaining({ exitCode: 3 }));
  });
});

describe('status', () => {
  const config = switchConfig('  hosts: [{ local: true, name: lb1 }, { local: true, name: lb2 }]\npreview: { domain: p.example.com, listen: "8080" }');
  const hosts = resolveSwitchHosts(config.switch!);
  const envs = [env(SHA_A, [32000]), env(SHA_B, [32100], { createdAt: new Date('2024-01-01T01:00:00Z') })];
  const file = (rev: string, port: number) => renderUpstream({ name: 'backend', app: 'web-app', revision: rev, backends: [{ host: '127.0.0.1', port }] });
  const facts = (c1: string, c2: string) => ({
    environments: envs,
    hosts: [{ host: hosts[0]!, path: '/lb/conf.d/backend.conf', content: c1, sha256: null }, { host: hosts[1]!, path: '/lb/conf.d/backend.conf', content: c2, sha256: null }],
    history: [e('switch', null, SHA_A), e('switch', SHA_A, SHA_B)],
    lock: undefined,
    lockLocation: 'lb1:/state/web-app/lock',
    now: new Date('2024-01-01T02:00:00Z'),
  });

  it('shows live, every environment with preview URL and age, the rollback target, no drift', () => {
    const s = computeStatus(config, facts(file(SHA_B, 32100), file(SHA_B, 32100)));
    expect(s.live).toBe(SHA_B);
    expect(s.rollbackTarget).toBe(SHA_A);
    expect(s.drift).toEqual([]);
    expect(s.environments[0]).toMatchObject({ revision: SHA_B, instances: 1, healthy: 1, previewUrl: 'http://b0b0b0b0b0b0.p.example.com:8080/', ageSeconds: 3600, live: true });
    expect(s.environments[1]).toMatchObject({ revision: SHA_A, rollbackTarget: true, ageSeconds: 7200 });
    expect(renderStatus(s)).toContain('drift:           none');
  });

  it('gives a preview URL only to environments the preview file has an entry for', () => {
    const s = computeStatus(config, { ...facts(file(SHA_B, 32100), file(SHA_B, 32100)), previewed: [SHA_B] });
    expect(s.environments[0]).toMatchObject({ revision: SHA_B, previewUrl: 'http://b0b0b0b0b0b0.p.example.com:8080/', previewEntry: true });
    expect(s.environments[1]).toMatchObject({ revision: SHA_A, previewUrl: null, previewEntry: false });
    expect(renderStatus(s)).toMatch(/aaaaaaaaaaaa .*no preview entry \(`deployer deploy aaaaaaaaaaaa` writes it\)/);
  });

  it('reports drift: hosts disagreeing, and a file matching no environment', () => {
    const s = computeStatus(config, facts(file(SHA_B, 32100), file(SHA_B, 39999)));
    expect(s.live).toBeNull();
    expect(s.drift.join('\n')).toMatch(/lb2:\/lb\/conf.d\/backend.conf serves b0b0b0b0b0b0 \(127.0.0.1:39999\), which matches no environment/);
    expect(s.drift.filter((d) => d.startsWith('lb1:') || d.startsWith('lb2:')).length).toBeGreaterThanOrEqual(3);
  });
});

describe('status without a switch section', () => {
  it('lists the environments and says nothing is switched', async () => {
    const { gatherStatusFacts } = await import('../../../src/planners/status.js');
    const config = { ...switchConfig(), switch: undefined };
    const facts = await gatherStatusFacts({
      scheduler: { list: async () => [env(SHA_A, [1])] },
      lb: { get: () => { throw new Error('no hosts'); } },
      history: { read: async () => { throw new Error('no history'); } },
      lock: { inspect: async () => { throw new Error('no lock'); }, location: '' },
      clock: { now: () => new Date('2024-01-01T00:00:00Z') },
    }, config);
    const s = computeStatus(config, facts);
    expect(s).toMatchObject({ live: null, rollbackTarget: null, hosts: [], drift: [], environments: [{ revision: SHA_A, live: false }] });
    expect(renderStatus(s)).toContain('no switch section');
  });
});
