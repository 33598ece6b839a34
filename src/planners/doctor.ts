import { posix } from 'node:path';
import type { Config, SwitchConfig } from '../core/config/schema.js';
import { checkNode, fail, hasLuaModule, nginxProblem, ok, skip, type CheckResult } from '../core/doctor/checks.js';
import { isDeployerError } from '../core/errors.js';
import { shadowTree } from '../core/nginx/include-tree.js';
import { displayArgv, planTest, stagedPath } from '../core/nginx/test-config.js';
import { resolveSwitchHosts, stateLocation, type ResolvedHost } from '../core/switch/hosts.js';
import type { DoctorPort, EngineInfo } from '../ports/doctor.js';
import type { LbHost } from '../ports/lb.js';
import type { LbHosts } from '../ports/lb-hosts.js';
import type { SchedulerPort } from '../ports/scheduler.js';
import { gatherConfFacts } from '../core/nginx/gather-conf.js';

// `deployer doctor`: every check of README "Checking a machine: deployer doctor", in order, each
// turned into one CheckResult (src/core/doctor/checks.ts). A failing check never stops the others;
// a check that depends on a failed one (nginx on a host that cannot be reached) is skipped. Only
// reads, except the registry push probe, whose upload is cancelled (src/adapters/registry.ts).

export interface DoctorReadPorts {
  doctor: DoctorPort;
  scheduler: Pick<SchedulerPort, 'about'>;
  lb: Pick<LbHosts, 'get'>;
}

export interface DoctorContext {
  /** state.dir resolved against the config file. */
  stateDir: string;
}

const COMMAND_TIMEOUT_MS = 30_000;

function explain(e: unknown): { detail: string; fix?: string; code?: string } {
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  if (isDeployerError(e)) return { detail: message, ...(e.hint ? { fix: e.hint } : {}), code: e.code };
  return { detail: message };
}

const failed = (id: string, title: string, e: unknown): CheckResult => {
  const x = explain(e);
  return fail(id, title, x.detail, x.fix);
};

async function engineChecks(ports: DoctorReadPorts): Promise<{ results: CheckResult[]; engine?: EngineInfo }> {
  let engine: EngineInfo;
  try {
    engine = await ports.doctor.engine();
  } catch (e) {
    return { results: [failed('engine', 'Docker engine', e)] };
  }
  return { results: [ok('engine', 'Docker engine', `${engine.version} (API ${engine.apiVersion}) at ${engine.endpoint}`)], engine };
}

async function registryChecks(ports: DoctorReadPorts, config: Config): Promise<CheckResult[]> {
  const host = config.registry?.host;
  if (!host) return [];
  const reach = 'registry reachable';
  const creds = 'registry credentials';
  const push = 'registry push permission';
  try {
    await ports.doctor.registryPing();
  } catch (e) {
    const x = explain(e);
    if (x.code === 'registry.auth') {
      return [ok('registry.reachable', reach, `${host} answers`), fail('registry.credentials', creds, x.detail, x.fix), skip('registry.push', push, 'the credentials were refused')];
    }
    return [fail('registry.reachable', reach, x.detail, x.fix), skip('registry.credentials', creds, 'the registry is unreachable'), skip('registry.push', push, 'the registry is unreachable')];
  }
  const results = [ok('registry.reachable', reach, `${host} answers`), ok('registry.credentials', creds, 'accepted (GET /v2/)')];
  const repos = [...new Set([config.images.delta, config.images.full])];
  try {
    for (const r of repos) await ports.doctor.registryPushProbe(r);
    results.push(ok('registry.push', push, `may push to ${repos.join(', ')} (a probe upload, cancelled)`));
  } catch (e) {
    results.push(failed('registry.push', push, e));
  }
  return results;
}

async function schedulerChecks(ports: DoctorReadPorts, config: Config, engine: EngineInfo | undefined): Promise<CheckResult[]> {
  const scheduler: string | undefined = config.deploy?.scheduler;
  if (scheduler === 'marathon') {
    try {
      const about = await ports.scheduler.about();
      return [ok('marathon', 'Marathon', `${about.version ?? 'version unknown'} at ${about.endpoint} (/v2/info)`)];
    } catch (e) {
      return [failed('marathon', 'Marathon', e)];
    }
  }
  // deploy.scheduler: swarm runs services on the engine, which must be a swarm manager.
  if (scheduler === 'swarm') {
    if (!engine) return [skip('swarm', 'Docker swarm', 'the engine is unreachable')];
    return engine.swarm === 'active'
      ? [ok('swarm', 'Docker swarm', 'this engine is an active swarm node')]
      : [fail('swarm', 'Docker swarm', `the engine's swarm state is ${engine.swarm}`, 'run `docker swarm init --advertise-addr <address>` on the engine, or join it to the swarm')];
  }
  return [];
}

async function runs(host: LbHost, argv: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await host.run(argv, { timeoutMs: COMMAND_TIMEOUT_MS });
  return { exitCode: r.exitCode, output: `${r.stderr}\n${r.stdout}`.trim() };
}

/** Whether `path` (a directory) can be written, or created under its nearest existing ancestor. */
async function writableDir(host: LbHost, path: string): Promise<{ ok: boolean; detail: string }> {
  for (let p = path; ; p = posix.dirname(p)) {
    if ((await runs(host, ['test', '-d', p])).exitCode === 0) {
      const w = (await runs(host, ['test', '-w', p])).exitCode === 0;
      const where = p === path ? p : `${p} (${path} will be created there)`;
      return { ok: w, detail: w ? `${where} is writable` : `${p} is not writable by this user` };
    }
    if (p === posix.dirname(p)) return { ok: false, detail: `no directory of ${path} exists` };
  }
}

/** A managed file: replaced by a rename in its directory, so the directory must be writable too. */
async function writableFile(host: LbHost, path: string): Promise<{ ok: boolean; detail: string }> {
  const dir = posix.dirname(path);
  if ((await runs(host, ['test', '-d', dir])).exitCode !== 0) return { ok: false, detail: `the directory ${dir} does not exist` };
  if ((await runs(host, ['test', '-w', dir])).exitCode !== 0) return { ok: false, detail: `${dir} is not writable by this user (the file is replaced by a rename there)` };
  if ((await runs(host, ['test', '-e', path])).exitCode === 0 && (await runs(host, ['test', '-w', path])).exitCode !== 0) {
    return { ok: false, detail: `${path} is not writable by this user` };
  }
  return { ok: true, detail: `${path} writable` };
}

const HOST_KEY_CODES = new Set(['ssh.host-key', 'ssh.host-key-unknown', 'ssh.host-key-mismatch', 'ssh.host-key-revoked', 'ssh.known-hosts']);
const LOGIN_CODES = new Set(['ssh.auth', 'ssh.identity']);

/** SSH reachability, host key and login for a remote host; true when commands can run there. */
async function sshChecks(h: ResolvedHost, host: LbHost, out: CheckResult[]): Promise<boolean> {
  const id = (s: string) => `host.${h.name}.${s}`;
  const t = (s: string) => `${h.name}: ${s}`;
  const target = `${h.ssh!.host}:${h.ssh!.port}`;
  try {
    await host.run(['true'], { timeoutMs: COMMAND_TIMEOUT_MS });
    out.push(ok(id('ssh'), t('SSH reachable'), `${target} answers`), ok(id('host-key'), t('host key known'), 'matches known_hosts'), ok(id('login'), t('SSH login'), `logged in as ${h.ssh!.user ?? 'the local user'}`));
    return true;
  } catch (e) {
    const x = explain(e);
    if (x.code && HOST_KEY_CODES.has(x.code)) {
      out.push(
        x.code === 'ssh.known-hosts' ? skip(id('ssh'), t('SSH reachable'), 'not tried without a known_hosts file') : ok(id('ssh'), t('SSH reachable'), `${target} answers`),
        fail(id('host-key'), t('host key known'), x.detail, x.fix),
        skip(id('login'), t('SSH login'), 'the host key is not trusted'),
      );
    } else if (x.code && LOGIN_CODES.has(x.code)) {
      out.push(ok(id('ssh'), t('SSH reachable'), `${target} answers`), ok(id('host-key'), t('host key known'), 'matches known_hosts'), fail(id('login'), t('SSH login'), x.detail, x.fix));
    } else {
      out.push(fail(id('ssh'), t('SSH reachable'), x.detail, x.fix), skip(id('host-key'), t('host key known'), 'the host is unreachable'), skip(id('login'), t('SSH login'), 'the host is unreachable'));
    }
    return false;
  }
}

async function hostChecks(h: ResolvedHost, host: LbHost, sw: SwitchConfig): Promise<{ results: CheckResult[]; usable: boolean }> {
  const out: CheckResult[] = [];
  const id = (s: string) => `host.${h.name}.${s}`;
  const t = (s: string) => `${h.name}: ${s}`;
  const later = ['nginx', 'files', 'nginx-test', 'included', ...(sw.method === 'dynamic' ? ['lua'] : [])];
  const titles: Record<string, string> = {
    nginx: 'nginx present', files: 'managed files writable', 'nginx-test': 'nginx -t passes', included: 'upstream file included', lua: 'nginx Lua module',
  };
  if (h.ssh && !(await sshChecks(h, host, out))) {
    out.push(...later.map((k) => skip(id(k), t(titles[k]!), 'the host cannot be reached')));
    return { results: out, usable: false };
  }
  const attempt = async (k: string, fn: () => Promise<CheckResult>) => {
    try {
      out.push(await fn());
    } catch (e) {
      out.push(failed(id(k), t(titles[k]!), e));
    }
  };
  const at = h.test.findIndex((a) => posix.basename(a) === 'nginx');
  const nginx = at >= 0 ? h.test[at]! : 'nginx';
  let nginxV = '';
  await attempt('nginx', async () => {
    const r = await runs(host, [nginx, '-V']);
    nginxV = r.output;
    const version = /nginx version: (\S+)/.exec(r.output)?.[1];
    return r.exitCode === 0 ? ok(id('nginx'), t(titles.nginx!), `${version ?? nginx} (${nginx})`) : fail(id('nginx'), t(titles.nginx!), `\`${nginx} -V\` exited ${r.exitCode}: ${nginxProblem(r.output)}`, 'install nginx, or name its path in switch.test');
  });
  const files = [h.file, ...(h.previewFile ? [h.previewFile] : [])];
  await attempt('files', async () => {
    const checks = await Promise.all(files.map((f) => writableFile(host, f)));
    const bad = checks.filter((c) => !c.ok);
    return bad.length === 0
      ? ok(id('files'), t(titles.files!), files.join(', '))
      : fail(id('files'), t(titles.files!), bad.map((c) => c.detail).join('; '), 'run deployer as a user who may write there (or as root), or create the directory');
  });
  const plan = planTest(h.test, h.file, h.file);
  // A test that names {staged} runs as given (with the live file in its place); otherwise switch.test itself.
  const testArgv = plan.mode === 'command' ? plan.argv : [...h.test];
  await attempt('nginx-test', async () => {
    const r = await runs(host, testArgv);
    return r.exitCode === 0
      ? ok(id('nginx-test'), t(titles['nginx-test']!), displayArgv(testArgv))
      : fail(id('nginx-test'), t(titles['nginx-test']!), `\`${displayArgv(testArgv)}\` exited ${r.exitCode}: ${nginxProblem(r.output)}`, 'fix the nginx configuration (deployer never reloads a config that fails this test)');
  });
  await attempt('included', async () => {
    const shadow = planTest(h.test, h.file, stagedPath(h.file));
    if (shadow.mode !== 'shadow') return skip(id('included'), t(titles.included!), 'switch.test names {staged}, so deployer does not read the nginx configuration');
    const problems: string[] = [];
    for (const f of files) {
      const tree = shadowTree(shadow.main, f, stagedPath(f), await gatherConfFacts(host, shadow.main, f));
      if (!tree.ok) problems.push(tree.problem);
    }
    return problems.length === 0
      ? ok(id('included'), t(titles.included!), `${shadow.main} includes ${files.join(', ')}`)
      : fail(id('included'), t(titles.included!), problems.join('; '), `add \`include ${h.file};\` inside http { } (or put the file under a directory an include glob reads)`);
  });
  if (later.includes('lua')) {
    await attempt('lua', async () => {
      const listing = await runs(host, ['find', '/etc/nginx/modules-enabled', '-mindepth', '1', '-maxdepth', '1']);
      const enabled = listing.exitCode === 0 ? listing.output.split('\n').map((l) => posix.basename(l)) : null;
      return hasLuaModule(nginxV, enabled)
        ? ok(id('lua'), t(titles.lua!), 'ngx_http_lua_module is available')
        : fail(id('lua'), t(titles.lua!), 'switch.method dynamic needs ngx_http_lua_module; nginx -V and /etc/nginx/modules-enabled do not show it', 'apt-get install libnginx-mod-http-lua (Debian), or use OpenResty');
    });
  }
  return { results: out, usable: true };
}

async function stateChecks(ports: DoctorReadPorts, config: Config, ctx: DoctorContext, usable: Map<string, boolean>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    const w = await writableDir(ports.doctor.local, ctx.stateDir);
    out.push(w.ok ? ok('state.dir', 'state.dir writable', w.detail) : fail('state.dir', 'state.dir writable', w.detail, 'set state.dir to a directory this user may write (test records live there)'));
  } catch (e) {
    out.push(failed('state.dir', 'state.dir writable', e));
  }
  if (config.switch) {
    const loc = stateLocation(config.switch, config.app, resolveSwitchHosts(config.switch));
    const title = `switch.stateDir writable (${loc.host})`;
    if (usable.get(loc.host) === false) {
      out.push(skip('switch.stateDir', title, `${loc.host} cannot be reached`));
    } else {
      try {
        const w = await writableDir(ports.lb.get(loc.host), loc.dir);
        out.push(w.ok ? ok('switch.stateDir', title, w.detail) : fail('switch.stateDir', title, w.detail, 'set switch.stateDir to a directory the switching user may write (the lock and history live there)'));
      } catch (e) {
        out.push(failed('switch.stateDir', title, e));
      }
    }
  }
  return out;
}

export async function runDoctorChecks(ports: DoctorReadPorts, config: Config, ctx: DoctorContext): Promise<CheckResult[]> {
  const node = checkNode(ports.doctor.nodeVersion);
  const [engine, registry] = await Promise.all([engineChecks(ports), registryChecks(ports, config)]);
  const scheduler = await schedulerChecks(ports, config, engine.engine);
  const hosts: CheckResult[] = [];
  const usable = new Map<string, boolean>();
  if (config.switch) {
    const sw = config.switch;
    const all = await Promise.all(resolveSwitchHosts(sw).map(async (h) => ({ h, r: await hostChecks(h, ports.lb.get(h.name), sw) })));
    for (const { h, r } of all) {
      usable.set(h.name, r.usable);
      hosts.push(...r.results);
    }
  }
  const state = await stateChecks(ports, config, ctx, usable);
  return [node, ...engine.results, ...registry, ...scheduler, ...hosts, ...state];
}
