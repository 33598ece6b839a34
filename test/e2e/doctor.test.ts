import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startMarathonStandin } from '../support/marathon-standin/index.js';
import type { Nginx } from '../support/nginx.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { SKIP_BASHRC } from '../support/ssh-helpers.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { nginxArgv, startLbNginx } from '../support/switch-world.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

// deployer doctor against real services: a registry with htpasswd, a switch host over SSH (sshd on
// loopback) with its own nginx, the local engine. Healthy: every line passes, exit 0. Each broken
// set-up fails exactly its own line(s), exits 1 and prints no stack trace.

interface Check { id: string; status: 'ok' | 'fail' | 'skip'; detail: string; fix?: string }

let registry: Registry;
let sshd: Sshd;
let lb: Nginx;
let tmp: TmpDir;
const app = `doctor-${process.pid}`;
const creds = { user: 'ci', password: `pw-${process.pid}` };

async function config(name: string, over: { test?: string[]; knownHosts?: string; deploy?: string } = {}): Promise<string> {
  const path = join(tmp.path, name);
  await writeFile(path, [
    `app: ${app}`,
    `images: { full: deployer-e2e/${app}-full, delta: deployer-e2e/${app} }`,
    'build: { appDir: /app }',
    `registry: { host: "${registry.host}" }`,
    over.deploy ?? 'deploy: { scheduler: docker, port: 8000 }',
    `state: { dir: ${JSON.stringify(join(tmp.path, 'records'))} }`,
    'switch:',
    '  upstream: backend',
    `  file: ${lb.prefix}/conf.d/backend.conf`,
    `  stateDir: ${join(tmp.path, 'switch-state')}`,
    '  verify: { url: "http://127.0.0.1:1/" }',
    '  hosts:',
    `    - ssh: ${sshd.user}@127.0.0.1:${sshd.port}`,
    '      name: lb1',
    `      identityFile: ${sshd.clientKeyPath}`,
    `      knownHosts: ${over.knownHosts ?? sshd.knownHostsPath}`,
    `      test: ${JSON.stringify(over.test ?? nginxArgv(lb, '-t'))}`,
    `      reload: ${JSON.stringify(nginxArgv(lb, '-s', 'reload'))}`,
  ].join('\n'));
  return path;
}

async function doctor(configFile: string, env: Record<string, string> = {}) {
  const base = { DEPLOYER_REGISTRY_USER: creds.user, DEPLOYER_REGISTRY_PASSWORD: creds.password, DOCKER_CONFIG: join(tmp.path, 'docker-config') };
  const text = await runCli(['--config', configFile, 'doctor'], { cwd: tmp.path, env: { ...base, ...env } });
  const json = await runCli(['--config', configFile, 'doctor', '--json'], { cwd: tmp.path, env: { ...base, ...env } });
  const checks = (JSON.parse(json.stdout) as { checks: Check[] }).checks;
  for (const r of [text, json]) expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/^\s+at /m);
  return { text, json, checks, failed: checks.filter((c) => c.status === 'fail').map((c) => c.id) };
}

beforeAll(async () => {
  tmp = await tmpDir('deployer-doctor-');
  [registry, sshd, lb] = await Promise.all([startRegistry({ htpasswd: creds }), startSshd({ extraConfig: SKIP_BASHRC }), startLbNginx()]);
  await config('deployer.yaml');
}, 120_000);

afterAll(async () => {
  await Promise.all([registry?.close(), sshd?.close(), lb?.close()].map((p) => p?.catch(() => {})));
  await tmp?.cleanup();
});

describe('deployer doctor', () => {
  it('passes every check on a healthy set-up, exit 0, and leaves no upload in the registry', async () => {
    const r = await doctor(join(tmp.path, 'deployer.yaml'));
    expect(r.text.exitCode, r.text.stdout + r.text.stderr).toBe(0);
    expect(r.json.exitCode).toBe(0);
    expect(r.checks.map((c) => c.id)).toEqual([
      'node', 'engine', 'registry.reachable', 'registry.credentials', 'registry.push',
      'host.lb1.ssh', 'host.lb1.host-key', 'host.lb1.login', 'host.lb1.nginx', 'host.lb1.files', 'host.lb1.nginx-test', 'host.lb1.included',
      'state.dir', 'switch.stateDir',
    ]);
    expect(r.checks.filter((c) => c.status !== 'ok')).toEqual([]);
    const lines = r.text.stdout.split('\n').filter((l) => /^\s+[✓✗-] /.test(l));
    expect(lines).toHaveLength(r.checks.length);
    expect(lines.every((l) => l.trimStart().startsWith('✓'))).toBe(true);
    expect(r.text.stdout).toMatch(/14 checks: 14 passed, 0 failed\.$/m);
    // The probe uploads were cancelled: no upload data, no start time, no blob. (Distribution 2.8
    // leaves an empty hashstates/ directory of a cancelled upload; its upload purging removes it.)
    const repos = join(registry.dir, 'data', 'docker', 'registry', 'v2', 'repositories', 'deployer-e2e');
    for (const repo of [app, `${app}-full`]) {
      const left = await readdir(join(repos, repo), { recursive: true });
      expect(left.filter((p) => /(^|\/)(data|startedat|link)$/.test(p) || p.startsWith('_layers'))).toEqual([]);
      expect(left.some((p) => p.startsWith('_uploads/'))).toBe(true);
    }
    // Read-only: nothing was created in the state dirs.
    expect(await readdir(tmp.path)).not.toContain('records');
    expect(await readdir(tmp.path)).not.toContain('switch-state');
  }, 120_000);

  it('--plan probes nothing', async () => {
    const r = await runCli(['--config', join(tmp.path, 'deployer.yaml'), '--plan', 'doctor'], { cwd: tmp.path, env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing has been changed');
    expect(r.stdout).not.toContain('✓');
  }, 60_000);

  it('an unreachable engine fails the engine line only', async () => {
    const dead = join(tmp.path, 'dead.sock');
    const r = await doctor(join(tmp.path, 'deployer.yaml'), { DOCKER_HOST: `unix://${dead}` });
    expect(r.text.exitCode).toBe(1);
    expect(r.failed).toEqual(['engine']);
    expect(r.text.stdout).toMatch(new RegExp(`✗ Docker engine\\s+cannot reach the Docker engine at .*${dead}.* \\(ENOENT\\).* — fix: start dockerd`));
    expect(r.text.stdout).toMatch(/13 passed, 1 failed\.$/m);
  }, 120_000);

  it('a registry that refuses the credentials (401) fails the credentials line, push is skipped', async () => {
    const r = await doctor(join(tmp.path, 'deployer.yaml'), { DEPLOYER_REGISTRY_PASSWORD: 'wrong' });
    expect(r.text.exitCode).toBe(1);
    expect(r.failed).toEqual(['registry.credentials']);
    expect(r.checks.find((c) => c.id === 'registry.push')?.status).toBe('skip');
    expect(r.text.stdout).toMatch(/✗ registry credentials\s+registry \S+ refused the credentials of ci \(HTTP 401/);
    expect(r.text.stdout).not.toContain('wrong');
  }, 120_000);

  it('an unknown host key fails the host key line; the rest of that host is skipped', async () => {
    const empty = join(tmp.path, 'empty_known_hosts');
    await writeFile(empty, '');
    const r = await doctor(await config('unknown-key.yaml', { knownHosts: empty }));
    expect(r.text.exitCode).toBe(1);
    expect(r.failed).toEqual(['host.lb1.host-key']);
    expect(r.checks.find((c) => c.id === 'host.lb1.ssh')?.status).toBe('ok');
    expect(r.checks.filter((c) => c.status === 'skip').map((c) => c.id)).toEqual([
      'host.lb1.login', 'host.lb1.nginx', 'host.lb1.files', 'host.lb1.nginx-test', 'host.lb1.included', 'switch.stateDir',
    ]);
    expect(r.text.stdout).toMatch(/✗ lb1: host key known\s+.*is not in known_hosts; refusing to connect — fix: verify SHA256:/);
  }, 120_000);

  it('a failing nginx -t fails that line with nginx\'s own words', async () => {
    const r = await doctor(await config('bad-nginx.yaml', { test: nginxArgv(lb, '-g', 'worker_processes bogus;', '-t') }));
    expect(r.text.exitCode).toBe(1);
    expect(r.failed).toEqual(['host.lb1.nginx-test']);
    expect(r.text.stdout).toMatch(/✗ lb1: nginx -t passes\s+`.*` exited 1: \[emerg\] "worker_processes" directive invalid value/);
  }, 120_000);

  it('a managed file nginx does not include fails the include line', async () => {
    await mkdir(join(lb.prefix, 'elsewhere'), { recursive: true });
    const path = await config('not-included.yaml');
    await writeFile(path, (await readFile(path, 'utf8')).replace(`${lb.prefix}/conf.d/backend.conf`, `${lb.prefix}/elsewhere/backend.conf`));
    const r = await doctor(path);
    expect(r.text.exitCode).toBe(1);
    expect(r.failed).toEqual(['host.lb1.included']);
    expect(r.text.stdout).toContain(`does not include ${lb.prefix}/elsewhere/backend.conf`);
  }, 120_000);

  it('Marathon: /v2/info answers with its version; refused credentials fail the Marathon line', async () => {
    const marathon = await startMarathonStandin({ auth: { username: 'deployer', password: 'right' } });
    try {
      const path = await config('marathon.yaml', { deploy: `deploy: { scheduler: marathon, port: 8000, marathon: { url: "${marathon.url}", appPrefix: /doctor } }` });
      const good = await doctor(path, { DEPLOYER_MARATHON_USER: 'deployer', DEPLOYER_MARATHON_PASSWORD: 'right' });
      expect(good.text.exitCode, good.text.stdout).toBe(0);
      expect(good.checks.find((c) => c.id === 'marathon')).toMatchObject({ status: 'ok', detail: `1.10.0 at ${marathon.url} (/v2/info)` });
      const bad = await doctor(path, { DEPLOYER_MARATHON_USER: 'deployer', DEPLOYER_MARATHON_PASSWORD: 'wrong' });
      expect(bad.text.exitCode).toBe(1);
      expect(bad.failed).toEqual(['marathon']);
      expect(bad.text.stdout).not.toContain('wrong');
    } finally {
      await marathon.close();
    }
  }, 180_000);
});
