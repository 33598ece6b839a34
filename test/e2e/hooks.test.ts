import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { httpGet } from '../support/http.js';
import type { Nginx } from '../support/nginx.js';
import { call, startServe } from '../support/serve.js';
import { makeWorld, snapshot, startLbNginx, switchSection, type World } from '../support/switch-world.js';

// hooks: around real switches (local nginx, environments on the docker scheduler) and deploys, run
// by the CLI and by `deployer serve`. Each hook is a tiny /bin/sh script given as argv that writes
// what it saw to a file under out/.

let w: World;
let nginx: Nginx;
let A: string;
let B: string;
let stateDir: string;
let out: string;
const upstreamFile = () => join(nginx.prefix, 'conf.d', 'backend.conf');
const served = async () => (await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision'];
const cli = (config: string, args: string[], env: Record<string, string> = {}) =>
  runCli(['--config', join(w.dir, config), ...args], { cwd: w.dir, env: { DEPLOYER_WHO: 'ann@ci', ...env } });

/** A hook writing its DEPLOYER_* variables (and whether it sees a secret) to out/<file>. */
const envHook = (file: string) => `{ command: [/bin/sh, -c, 'env | grep "^DEPLOYER_" | sort > "$0"', ${join('out', file)}] }`;
async function seen(file: string): Promise<Record<string, string>> {
  const text = await readFile(join(out, file), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}
const exists = (p: string) => stat(p).then(() => true, () => false);
/** Not a zombie either: where PID 1 does not reap orphans, a killed one stays as state Z. */
const running = async (pid: number) => {
  const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return st !== undefined && st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
};

beforeAll(async () => {
  w = await makeWorld('e2e-hooks', 2);
  [A, B] = w.revs as [string, string];
  nginx = await startLbNginx();
  stateDir = join(w.dir, 'state');
  out = join(w.dir, 'out');
  const sw = switchSection(nginx, stateDir, { verifyTimeoutSeconds: 15 });
  await w.writeConfig('deployer.yaml', sw);
  await w.writeConfig('hooks.yaml', [...sw, 'hooks:',
    `  pre-deploy: [{ name: pre-marker, command: [/bin/sh, -c, 'mkdir -p out && touch out/pre-deploy'] }]`,
    `  post-deploy: [${envHook('post-deploy.env')}]`,
    // Copies the live upstream file: proves it ran before the switch changed it.
    `  pre-switch: [{ name: snapshot, command: [/bin/sh, -c, 'mkdir -p out && cp "$0" out/pre-switch.conf && echo "saw $DEPLOYER_REVISION"', ${upstreamFile()}] }]`,
    `  post-switch: [${envHook('post-switch.env')}]`,
    `  post-rollback: [${envHook('post-rollback.env')}]`,
  ]);
  await w.writeConfig('gate.yaml', [...sw, 'hooks:',
    `  pre-switch: [{ name: gate, command: [/bin/sh, -c, 'echo "checking $DEPLOYER_REVISION"; echo "not today" >&2; exit 3'] }]`,
    `  failed: [{ name: alarm, command: [/bin/sh, -c, 'printf "%s\\n" "$1" "$DEPLOYER_EVENT" > "$0"', out/failed.txt, '{DEPLOYER_ERROR}'] }]`,
  ]);
  await w.writeConfig('timeout.yaml', [...sw, 'hooks:',
    // The sleep is a child of the shell: a timeout must end it too (the hook's process group).
    `  pre-switch: [{ name: slow, command: [/bin/sh, -c, 'sleep 60 & echo $! > "$0"; wait', out/sleep.pid], timeoutSeconds: 1 }]`,
  ]);
  await w.writeConfig('post-fail.yaml', [...sw, 'hooks:', `  post-switch: [{ name: notify, command: [/bin/sh, -c, 'echo "chat is down"; exit 7'] }]`]);
  const d = await w.cli(['deploy', A]);
  expect(d.exitCode, d.stderr).toBe(0);
  await w.markTested(A);
}, 240_000);

afterAll(async () => {
  await nginx?.close();
  await w?.close();
});

describe('hooks', () => {
  it('deploy runs pre-deploy and post-deploy hooks with the DEPLOYER_* variables', async () => {
    const d = await cli('hooks.yaml', ['deploy', B], { DEPLOYER_UI_TOKEN: 'secret-token-x' });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(await exists(join(out, 'pre-deploy'))).toBe(true);
    expect(await seen('post-deploy.env')).toEqual({
      DEPLOYER_APP: w.app, DEPLOYER_COMMAND: 'deploy', DEPLOYER_DIGEST: '', DEPLOYER_EVENT: 'post-deploy',
      DEPLOYER_PREVIEW_URL: '', DEPLOYER_PREVIOUS: '', DEPLOYER_REVISION: B, DEPLOYER_WHO: 'ann@ci',
    });
    await w.markTested(B);
  }, 120_000);

  it('--plan shows the hooks as steps and runs none', async () => {
    const before = await snapshot(w.dir);
    const r = await cli('hooks.yaml', ['switch', A, '--plan']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`> hook snapshot: /bin/sh -c 'mkdir -p out && cp "$0" out/pre-switch.conf && echo "saw $DEPLOYER_REVISION"' ${upstreamFile()}  (within 300s; a failure stops here, before anything changes)`);
    expect(r.stdout).toContain(`DEPLOYER_REVISION=${A}`);
    expect(r.stdout).toContain('(within 300s; a failure is reported but does not undo what was done)');
    expect(r.stdout).toContain('Plan: 6 steps. Nothing has been changed.');
    const json = JSON.parse((await cli('hooks.yaml', ['switch', A, '--plan', '--json'])).stdout) as { steps: { kind: string; id: string }[] };
    expect(json.steps.map((s) => s.id)).toEqual(['lock', 'hook-pre-switch-1', 'switch-upstream', 'verify', 'record', 'hook-post-switch-1']);
    expect(await snapshot(w.dir)).toEqual(before);
    expect(await exists(join(out, 'pre-switch.conf'))).toBe(false);
  });

  it('switch: pre-switch runs before the upstream changes, post-switch sees the variables; output is prefixed', async () => {
    const before = await readFile(upstreamFile(), 'utf8');
    const r = await cli('hooks.yaml', ['switch', A], { DEPLOYER_UI_TOKEN: 'secret-token-x' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`snapshot | saw ${A}`);
    expect(await readFile(join(out, 'pre-switch.conf'), 'utf8')).toBe(before);
    expect(await served()).toBe(A);
    const v = await seen('post-switch.env');
    expect(v).toEqual({
      DEPLOYER_APP: w.app, DEPLOYER_COMMAND: 'switch', DEPLOYER_DIGEST: '', DEPLOYER_EVENT: 'post-switch',
      DEPLOYER_PREVIEW_URL: '', DEPLOYER_PREVIOUS: '', DEPLOYER_REVISION: A, DEPLOYER_WHO: 'ann@ci',
    });
    expect(JSON.stringify(v)).not.toContain('secret-token-x');
  }, 120_000);

  it('a failing pre-switch hook leaves production as it was: exit 1, the hook named, failed hooks told why', async () => {
    const conf = await readFile(upstreamFile());
    const state = await snapshot(stateDir);
    const r = await cli('gate.yaml', ['switch', B]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`gate | checking ${B}`);
    expect(r.stderr).toContain('gate | not today');
    expect(r.stderr).toContain('pre-switch hook gate exited with 3; nothing was changed');
    expect((await readFile(upstreamFile())).equals(conf)).toBe(true);
    expect(await served()).toBe(A);
    expect(await snapshot(stateDir)).toEqual(state);
    expect((await readFile(join(out, 'failed.txt'), 'utf8')).split('\n')).toEqual([expect.stringContaining('pre-switch hook gate exited with 3'), 'failed', '']);
  }, 120_000);

  it('a hook past its timeout is killed with what it started, and named', async () => {
    const conf = await readFile(upstreamFile());
    const r = await cli('timeout.yaml', ['switch', B]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('pre-switch hook slow timed out after 1s and was killed; nothing was changed');
    const pid = Number(await readFile(join(out, 'sleep.pid'), 'utf8'));
    expect(await running(pid)).toBe(false);
    expect((await readFile(upstreamFile())).equals(conf)).toBe(true);
    expect(await served()).toBe(A);
  }, 120_000);

  it('a failing post-switch hook is reported (exit 1) and does not undo the switch', async () => {
    const r = await cli('post-fail.yaml', ['switch', B]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('notify | chat is down');
    expect(r.stderr).toContain('post-switch hook notify exited with 7; the switch itself succeeded and stands');
    expect(r.stdout).toContain(`${B.slice(0, 12)} is live on local (verified; was ${A.slice(0, 12)})`);
    expect(await served()).toBe(B);
  }, 120_000);

  it('rollback runs post-rollback hooks (not post-switch)', async () => {
    const switched = await readFile(join(out, 'post-switch.env'), 'utf8');
    const r = await cli('hooks.yaml', ['rollback']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await served()).toBe(A);
    expect(await seen('post-rollback.env')).toMatchObject({ DEPLOYER_COMMAND: 'rollback', DEPLOYER_EVENT: 'post-rollback', DEPLOYER_REVISION: A, DEPLOYER_PREVIOUS: B });
    expect(await readFile(join(out, 'post-switch.env'), 'utf8')).toBe(switched);
  }, 120_000);

  it('a switch through `deployer serve` runs the same hooks', async () => {
    const token = `hooks-token-${process.pid}`;
    const srv = await startServe(w.dir, join(w.dir, 'hooks.yaml'), { DEPLOYER_UI_TOKEN: token });
    try {
      const r = await call(`${srv.url}api/switch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ revision: B, who: 'alice' }) });
      expect(r.status, r.body).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ changed: true, hookFailures: [] });
      expect(await served()).toBe(B);
      const v = await seen('post-switch.env');
      expect(v).toMatchObject({ DEPLOYER_REVISION: B, DEPLOYER_PREVIOUS: A, DEPLOYER_EVENT: 'post-switch' });
      expect(v.DEPLOYER_WHO).toMatch(/^web:alice \(/);
      expect(JSON.stringify(v)).not.toContain(token);
      expect(srv.stderr()).toContain(`snapshot | saw ${B}`);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('a failing pre-switch hook through `deployer serve` answers 502 with the hook named, and nothing changes', async () => {
    const token = `gate-token-${process.pid}`;
    const conf = await readFile(upstreamFile());
    const live = await served();
    const srv = await startServe(w.dir, join(w.dir, 'gate.yaml'), { DEPLOYER_UI_TOKEN: token });
    try {
      const r = await call(`${srv.url}api/switch`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ revision: live === A ? B : A }) });
      expect(r.status, r.body).toBe(502);
      expect(JSON.parse(r.body)).toMatchObject({ error: expect.stringContaining('pre-switch hook gate exited with 3; nothing was changed'), exitCode: 1 });
      expect((await readFile(upstreamFile())).equals(conf)).toBe(true);
      expect(await served()).toBe(live);
    } finally {
      await srv.close();
    }
  }, 120_000);
});
