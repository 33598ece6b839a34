import { describe, expect, it } from 'vitest';
import { renderUpstream } from '../../../src/core/nginx/upstream.js';
import { sha256Hex } from '../../../src/core/switch/plan-hash.js';
import { execute } from '../../../src/exec/executor.js';
import { handlers } from '../../../src/exec/handlers/index.js';
import type { ExecContext } from '../../../src/exec/context.js';
import type { AcquireResult, LockOwner, SwitchLockPort } from '../../../src/ports/lock.js';
import { silentLog } from '../../../src/ports/log.js';
import { gatherSwitchFacts, planSwitch } from '../../../src/planners/switch.js';
import { env, fakeHosts, FakeHost, MAIN_CONF, memoryHistory, SHA_A, SHA_B, switchConfig } from '../../support/switch-fakes.js';

// The handlers' all-or-nothing behaviour, with in-memory hosts whose nginx commands are scripted.

function memoryLock(held?: LockOwner): SwitchLockPort & { owner: LockOwner | undefined; events: string[] } {
  const lock = {
    owner: held,
    events: [] as string[],
    location: 'lb1:/state/web-app/lock',
    async inspect() {
      return lock.owner ? { owner: lock.owner, holder: 'alive' as const } : undefined;
    },
    async acquire(req: { who: string; revision: string; command: string }): Promise<AcquireResult> {
      if (lock.owner) return { acquired: false, state: { owner: lock.owner, holder: 'alive' } };
      lock.owner = { ...req, when: 'now', pid: 1, host: 'me' };
      lock.events.push('acquire');
      return { acquired: true, owner: lock.owner };
    },
    async release() {
      lock.owner = undefined;
      lock.events.push('release');
    },
    async breakLock() {
      return 'released' as const;
    },
  };
  return lock;
}

const TWO = '  hosts: [{ local: true, name: lb1 }, { local: true, name: lb2 }]';

async function scenario(opts: { serve?: (host: string) => string | undefined; script?: FakeHost['script']; lock?: LockOwner; fileRevision?: string } = {}) {
  const config = switchConfig(TWO, '{ url: "http://lb/", timeoutSeconds: 0.3 }');
  const envs = [env(SHA_A, [32000]), env(SHA_B, [32100])];
  const hosts = [new FakeHost('lb1'), new FakeHost('lb2')];
  const before = renderUpstream({ name: 'backend', app: 'web-app', revision: SHA_A, backends: envs[0]!.backends });
  const fileRev = opts.fileRevision ?? SHA_A;
  const initial = renderUpstream({ name: 'backend', app: 'web-app', revision: fileRev, backends: envs.find((e) => e.revision === fileRev)!.backends });
  for (const h of hosts) {
    h.put('/lb/nginx.conf', MAIN_CONF);
    h.put('/lb/conf.d/backend.conf', initial, { mode: 0o640, uid: 33, gid: 4 });
    h.script = opts.script;
  }
  const lb = fakeHosts(...hosts);
  const history = memoryHistory([{ at: 't', by: 'x', action: 'switch', from: null, to: SHA_A, hosts: ['lb1', 'lb2'], planHash: 'h' }]);
  const lock = memoryLock(opts.lock);
  let clockMs = Date.parse('2024-01-01T00:00:00Z');
  // What the verify URL serves: by default whatever each host's live file says.
  const served = (host: string) => opts.serve?.(host) ?? /# revision (\w+)/.exec(hosts.find((h) => h.name === host)!.text('/lb/conf.d/backend.conf') ?? '')?.[1];
  const ports = {
    scheduler: { list: async () => envs },
    docker: { imageInfo: async () => ({ id: 'sha256:x' }) },
    records: { get: async (id: string) => ({ imageId: id, image: 'x', revision: SHA_B, passedAt: 't', by: 'ci', junit: { tests: 1, failures: 0, errors: 0, skipped: 0 } }) },
    history,
    lb,
    lock,
    git: { resolve: async () => SHA_B },
    http: {
      get: async (url: string) => {
        const host = url.includes('lb') ? 'lb1' : 'lb2';
        return { status: 200, headers: { 'x-revision': served(host) }, body: '' };
      },
    },
    // Time moves only when the handlers sleep: deadlines pass without waiting them out.
    clock: {
      now: () => new Date(clockMs),
      sleep: (ms: number) => {
        clockMs += ms;
        return new Promise<void>((r) => setTimeout(r, Math.min(ms, 20)));
      },
    },
    log: silentLog,
  };
  const facts = await gatherSwitchFacts(ports as never, config, { action: 'switch', revision: SHA_B, who: 'alice' });
  const plan = planSwitch(config, facts, { force: false });
  const run = () => execute(plan, handlers, { config, ports: ports as unknown as ExecContext['ports'], signal: new AbortController().signal });
  return { hosts, before, run, history, lock, lb, plan };
}

const bytes = (h: FakeHost) => ({ ...h.files.get('/lb/conf.d/backend.conf')!, content: h.text('/lb/conf.d/backend.conf') });

describe('switch apply', () => {
  it('switches every host, keeps owner and mode, records, releases the lock', async () => {
    const s = await scenario();
    await s.run();
    for (const h of s.hosts) {
      expect(bytes(h)).toMatchObject({ mode: 0o640, uid: 33, gid: 4, content: expect.stringContaining(`# revision ${SHA_B}`) });
      expect([...h.files.keys()].filter((p) => p.includes('deployer'))).toEqual([]);
      // The test ran against the shadow config with the staged file swapped in, before the rename.
      expect(h.runs[0]).toEqual(['nginx', '-c', '/lb/.nginx.conf.deployer-test', '-t']);
      expect(h.runs[1]).toEqual(['nginx', '-c', '/lb/nginx.conf', '-s', 'reload']);
    }
    expect(s.history.entries.at(-1)).toMatchObject({ action: 'switch', from: SHA_A, to: SHA_B, by: 'alice', hosts: ['lb1', 'lb2'] });
    expect(s.lock.events).toEqual(['acquire', 'release']);
    expect(s.lb.closed).toBeGreaterThan(0);
  });

  it('a test failure on the second host leaves both byte-identical and reloads nothing', async () => {
    let shadowSeen = '';
    const s = await scenario({
      script: (argv, host) => {
        if (argv.includes('-t')) {
          shadowSeen = host.text('/lb/.nginx.conf.deployer-test') ?? '';
          if (host.name === 'lb2') return { exitCode: 1, stdout: '', stderr: 'nginx: [emerg] host not found in upstream' };
        }
        return undefined;
      },
    });
    const before = s.hosts.map(bytes);
    await expect(s.run()).rejects.toMatchObject({ exitCode: 1, message: expect.stringContaining('lb2 failed the test; nothing went live'), details: expect.arrayContaining([expect.stringContaining('[emerg] host not found')]) });
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(shadowSeen).toContain('include /lb/conf.d/.backend.conf.deployer-staged;');
    for (const h of s.hosts) {
      expect(h.runs.some((r) => r.includes('reload'))).toBe(false);
      expect([...h.files.keys()].filter((p) => p.includes('deployer'))).toEqual([]);
    }
    expect(s.history.entries).toHaveLength(1);
    expect(s.lock.events).toEqual(['acquire', 'release']);
  });

  it('a reload failure on the second host restores the first (byte-identical) and reloads it', async () => {
    const s = await scenario({ script: (argv, host) => (host.name === 'lb2' && argv.includes('reload') ? { exitCode: 1, stdout: '', stderr: 'reload refused' } : undefined) });
    const before = s.hosts.map(bytes);
    await expect(s.run()).rejects.toMatchObject({ exitCode: 1, message: expect.stringMatching(/lb2 failed: reload .* exited 1; the previous files were restored/) });
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(s.hosts[0]!.runs.filter((r) => r.includes('reload'))).toHaveLength(2);
  });

  it('nginx not running on the second host: its file is put back without claiming a failed restore', async () => {
    // Every reload on lb2 fails (no master to signal); lb1 reloads fine.
    const s = await scenario({ script: (argv, host) => (host.name === 'lb2' && argv.includes('reload') ? { exitCode: 1, stdout: '', stderr: 'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)' } : undefined) });
    const before = s.hosts.map(bytes);
    const err = (await s.run().then(() => undefined, (e: unknown) => e)) as { message: string; details: string[] };
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(err.message).toMatch(/lb2 failed: reload .* exited 1; the previous files were restored$/);
    const text = [err.message, ...err.details].join('\n');
    expect(text).not.toMatch(/RESTORE FAILED|by hand/);
    expect(err.details).toEqual(expect.arrayContaining([
      'lb1: /lb/conf.d/backend.conf put back (byte-identical to before) and nginx reloaded',
      'lb2: /lb/conf.d/backend.conf put back (byte-identical to before); nginx never loaded the new file, so it was not reloaded',
    ]));
    expect(s.hosts[1]!.runs.filter((r) => r.includes('reload'))).toHaveLength(1);
  });

  it('a reload that fails after a good restore says so, not that the restore failed', async () => {
    let lb1Reloads = 0;
    // lb1 reloads the new file, lb2 refuses, then lb1 cannot reload the restored one.
    const s = await scenario({
      script: (argv, host) => {
        if (!argv.includes('reload')) return undefined;
        if (host.name === 'lb2') return { exitCode: 1, stdout: '', stderr: 'reload refused' };
        return ++lb1Reloads > 1 ? { exitCode: 1, stdout: '', stderr: 'nginx died' } : undefined;
      },
    });
    const before = s.hosts.map(bytes);
    const err = (await s.run().then(() => undefined, (e: unknown) => e)) as { message: string; details: string[] };
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(err.message).toMatch(/the previous files were put back, but nginx could not be reloaded on lb1$/);
    expect(err.details.join('\n')).not.toMatch(/RESTORE FAILED/);
    expect(err.details).toEqual(expect.arrayContaining([expect.stringMatching(/^lb1: \/lb\/conf.d\/backend.conf put back \(byte-identical to before\), but reloading nginx failed: reload .* exited 1/)]));
  });

  it('verification failure switches back on every host and records an auto-revert', async () => {
    const s = await scenario({ serve: (host) => (host === 'lb1' ? SHA_A : undefined) });
    const before = s.hosts.map(bytes);
    await expect(s.run()).rejects.toMatchObject({ exitCode: 1, code: 'switch.verify-failed' });
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(s.history.entries.at(-1)).toMatchObject({ action: 'auto-revert', from: SHA_B, to: SHA_A });
    expect(s.lock.events).toEqual(['acquire', 'release']);
  });

  it('re-running a switch killed after its rename reloads, verifies and records (not "already live")', async () => {
    // The files name B, nginx (never reloaded) still serves A, the history says A.
    const reloaded = new Set<string>();
    const s = await scenario({
      fileRevision: SHA_B,
      script: (argv, host) => {
        if (argv.includes('reload')) reloaded.add(host.name);
        return undefined;
      },
      serve: (host) => (reloaded.has(host) ? SHA_B : SHA_A),
    });
    expect(s.plan.steps.map((x) => x.kind)).toEqual(['switch.lock', 'nginx.switch-upstream', 'switch.verify', 'switch.record']);
    expect(s.plan.notes.join('\n')).toMatch(/already names b0b0b0b0b0b0, but the history says aaaaaaaaaaaa is live/);
    const before = s.hosts.map(bytes);
    await s.run();
    expect(s.hosts.map(bytes)).toEqual(before);
    expect([...reloaded].sort()).toEqual(['lb1', 'lb2']);
    expect(s.history.entries.at(-1)).toMatchObject({ action: 'switch', from: SHA_A, to: SHA_B });
  });

  it('that re-run, when the target does not answer after the reload, says so and switches nothing back', async () => {
    const s = await scenario({ fileRevision: SHA_B, serve: () => SHA_A });
    const before = s.hosts.map(bytes);
    await expect(s.run()).rejects.toMatchObject({ exitCode: 1, code: 'switch.verify-failed', message: expect.stringMatching(/still name it \(as before this run\) and nothing was recorded/) });
    expect(s.hosts.map(bytes)).toEqual(before);
    expect(s.history.entries).toHaveLength(1);
  });

  it('a held lock exits 3 and changes nothing', async () => {
    const s = await scenario({ lock: { who: 'bob', when: 't', pid: 9, host: 'ci', revision: SHA_A, command: 'switch' } });
    const before = s.hosts.map(bytes);
    await expect(s.run()).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('held by bob') });
    expect(s.hosts.map(bytes)).toEqual(before);
  });

  it('a file changed since the plan is a precondition: exit 4, nothing changed', async () => {
    const s = await scenario();
    s.hosts[1]!.put('/lb/conf.d/backend.conf', '# edited by hand\n');
    await expect(s.run()).rejects.toMatchObject({ exitCode: 4, code: 'switch.file-changed', message: expect.stringContaining('lb2:/lb/conf.d/backend.conf changed since this plan was made') });
    expect(s.hosts[0]!.text('/lb/conf.d/backend.conf')).toBe(s.before);
    expect(sha256Hex(s.hosts[1]!.files.get('/lb/conf.d/backend.conf')!.content)).toBe(sha256Hex('# edited by hand\n'));
  });
});
