import { posix } from 'node:path';
import type { Config, SwitchConfig } from '../core/config/schema.js';
import { ConfigError, PreconditionError, UsageError } from '../core/errors.js';
import { isFullSha, shortSha } from '../core/image-ref.js';
import { unifiedDiff } from '../core/nginx/diff.js';
import { shadowTree, type ConfFacts } from '../core/nginx/include-tree.js';
import { displayArgv, planTest, stagedPath } from '../core/nginx/test-config.js';
import { renderUpstream } from '../core/nginx/upstream.js';
import { assertSafeBackends } from '../core/nginx/validate.js';
import { imageDigest, withSwitchHooks } from '../core/hooks/plan.js';
import { makePlan, type Plan } from '../core/plan.js';
import { RELOAD_STABLE_MS, type ControlPut, type HostFileChange, type SwitchStep } from '../core/steps/switch.js';
import { planHash, sha256Hex } from '../core/switch/plan-hash.js';
import { checkDrift, checkEnvironment, checkForceOptions, checkTested, type ForceOptions } from '../core/switch/refusals.js';
import { liveFromHistory, rollbackTarget } from '../core/switch/history.js';
import { controlSocketPath, resolveSwitchHosts, stateLocation, type ResolvedHost } from '../core/switch/hosts.js';
import { backendNames, balancerPeers, parseGetent, resolutionLines, resolveArgv, type Resolution } from '../core/nginx/resolve.js';
import { dynamicBackendProblems, formatControlList, MAX_SOCKET_PATH, parseControlAnswer, renderDynamicUpstream } from '../core/nginx/dynamic.js';
import { agreedRevision, disagreement, hostLive, type HostLive } from '../core/switch/live.js';
import type { DockerPort } from '../ports/docker.js';
import type { HistoryEntry, HistoryPort } from '../ports/history.js';
import type { LbHosts } from '../ports/lb-hosts.js';
import type { TestRecord, TestRecordStore } from '../ports/records.js';
import type { EnvironmentInfo, SchedulerPort } from '../ports/scheduler.js';
import type { GitPort } from '../ports/git.js';
import { gatherConfFacts } from '../core/nginx/gather-conf.js';
import { gatherTested } from './tested.js';

// switch and rollback: gather facts through read-only ports, then decide everything in planSwitch
// (pure). The plan names, per host, the exact file diff, the test and reload commands, the
// verification and the history record.

export type SwitchAction = 'switch' | 'rollback';

export function requireSwitch(config: Config): SwitchConfig {
  if (!config.switch) throw new ConfigError('config', [{ path: 'switch', message: 'is required for this command (see deployer.example.yaml)' }]);
  return config.switch;
}

export interface HostFileFacts {
  host: ResolvedHost;
  path: string;
  /** utf8 text of the file; undefined when it does not exist. */
  content: string | undefined;
  sha256: string | null;
  /** The nginx configuration the test's shadow copy is made from (shadow mode only). */
  conf?: { main: string; facts: ConfFacts };
  /** switch.method dynamic: what the control endpoint of the running nginx answered. */
  control?: ControlFact;
  /** switch.method dynamic: the target's backend host names as this host resolves them. */
  resolved?: Resolution;
}

export type ControlFact =
  | { socket: string; answers: true; generation: string; served: string[] }
  | { socket: string; answers: false; reason: string };

/** Asks each host's running nginx what its control endpoint holds (GET: changes nothing). */
export async function gatherControl(lb: Pick<LbHosts, 'get'>, hosts: HostFileFacts[], socketOf: (h: ResolvedHost) => string): Promise<void> {
  await Promise.all(hosts.map(async (h) => {
    const socket = socketOf(h.host);
    try {
      const r = await lb.get(h.host.name).control(socket, { method: 'GET', path: '/backends', timeoutMs: 3000 });
      const parsed = r.status === 200 ? parseControlAnswer(r.body) : undefined;
      h.control = parsed
        ? { socket, answers: true, generation: parsed.generation, served: parsed.lists.map((l) => l.revision) }
        : { socket, answers: false, reason: `it answered ${r.status}: ${r.body.slice(0, 200).trim()}` };
    } catch (e) {
      h.control = { socket, answers: false, reason: e instanceof Error ? e.message : String(e) };
    }
  }));
}

const RESOLVE_TIMEOUT_MS = 10_000;

/** Resolves the backends' host names on each host (`getent`, never a shell): read-only. */
export async function gatherResolved(lb: Pick<LbHosts, 'get'>, hosts: HostFileFacts[], backends: EnvironmentInfo['backends']): Promise<void> {
  const names = backendNames(backends);
  if (names.length === 0) return;
  await Promise.all(hosts.map(async (h) => {
    const host = lb.get(h.host.name);
    const resolved: Resolution = {};
    for (const name of names) {
      let argv: string[];
      try {
        argv = resolveArgv(name);
      } catch {
        // Not a DNS name: the renderer's backend check refuses it with the scheduler's words.
        continue;
      }
      try {
        const r = await host.run(argv, { timeoutMs: RESOLVE_TIMEOUT_MS });
        const addresses = r.exitCode === 0 ? parseGetent(r.stdout) : [];
        resolved[name] = addresses.length
          ? { addresses }
          : { reason: r.exitCode === 2 ? 'no such name' : r.exitCode === 0 ? 'no plain address' : `\`${displayArgv(argv)}\` exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().slice(0, 200)}` : ''}` };
      } catch (e) {
        resolved[name] = { reason: e instanceof Error ? e.message : String(e) };
      }
    }
    h.resolved = resolved;
  }));
}

/** Reads `file` (or `previewFile`) on every switch host, and the main config its test needs. */
export async function gatherHostFiles(
  lb: Pick<LbHosts, 'get'>,
  hosts: readonly ResolvedHost[],
  which: 'file' | 'previewFile',
): Promise<HostFileFacts[]> {
  return Promise.all(hosts.filter((h) => h[which]).map(async (h) => {
    const path = h[which]!;
    const host = lb.get(h.name);
    const file = await host.read(path);
    const test = planTest(h.test, path, stagedPath(path));
    const out: HostFileFacts = { host: h, path, content: file?.content.toString('utf8'), sha256: file ? sha256Hex(file.content) : null };
    if (test.mode === 'shadow') out.conf = { main: test.main, facts: await gatherConfFacts(host, test.main, path) };
    return out;
  }));
}

export interface SwitchFacts {
  action: SwitchAction;
  target: string;
  environment: EnvironmentInfo | undefined;
  environments: EnvironmentInfo[];
  imageId: string | undefined;
  record: TestRecord | undefined;
  /** The environment's manifest digest, and (when it is untested) the digests that passed for the target. */
  digest?: string | undefined;
  testedDigests?: string[];
  hosts: HostFileFacts[];
  history: HistoryEntry[];
  who: string;
}

export interface SwitchReadPorts {
  scheduler: Pick<SchedulerPort, 'list'>;
  docker: Pick<DockerPort, 'imageInfo'>;
  records: Pick<TestRecordStore, 'get' | 'forDigest' | 'forRevision'>;
  history: Pick<HistoryPort, 'read'>;
  lb: Pick<LbHosts, 'get'>;
  git: Pick<GitPort, 'resolve'>;
}

/**
 * A full sha as given; a hex prefix that names exactly one known environment or history revision;
 * otherwise whatever git resolves it to (a branch, a tag).
 */
export async function resolveTarget(arg: string, known: readonly string[], git: Pick<GitPort, 'resolve'>): Promise<string> {
  const a = arg.toLowerCase();
  if (isFullSha(a)) return a;
  if (/^[0-9a-f]{4,39}$/.test(a)) {
    const hits = [...new Set(known.filter((r) => r.startsWith(a)))];
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new UsageError(`${arg} is ambiguous: ${hits.map(shortSha).join(', ')}`, { hint: 'give more characters of the sha' });
  }
  return git.resolve(arg);
}

export async function gatherSwitchFacts(
  ports: SwitchReadPorts,
  config: Config,
  req: { action: SwitchAction; revision: string | undefined; who: string },
): Promise<SwitchFacts> {
  const sw = requireSwitch(config);
  const resolved = resolveSwitchHosts(sw);
  const [environments, history, hosts] = await Promise.all([
    ports.scheduler.list(config.app),
    ports.history.read(),
    gatherHostFiles(ports.lb, resolved, 'file'),
  ]);
  if (sw.method === 'dynamic') await gatherControl(ports.lb, hosts, (h) => controlSocketPath(sw, config.app, h));
  const known = [...environments.map((e) => e.revision), ...history.flatMap((h) => [h.to, ...(h.from ? [h.from] : [])])];
  let target: string;
  if (req.revision !== undefined) {
    target = await resolveTarget(req.revision, known, ports.git);
  } else {
    const live = currentLive(config, hosts, environments, history);
    const back = rollbackTarget(history, live ?? null);
    if (!back) {
      throw new PreconditionError(live ? `the history does not say what was live before ${shortSha(live)}` : 'nothing is live yet, so there is nothing to roll back to', {
        code: 'rollback.no-target',
        hint: 'name the revision: `deployer rollback <sha>` (see `deployer history` and `deployer status`)',
      });
    }
    target = back;
  }
  const environment = environments.find((e) => e.revision === target);
  if (environment && sw.method === 'dynamic') await gatherResolved(ports.lb, hosts, environment.backends);
  const t = environment ? await gatherTested(ports, environment, { explain: true }) : { testedDigests: [] };
  return { action: req.action, target, environment, environments, imageId: t.imageId, record: t.record, digest: t.digest, testedDigests: t.testedDigests, hosts, history, who: req.who };
}

function lives(config: Config, hosts: readonly HostFileFacts[], environments: readonly EnvironmentInfo[]): HostLive[] {
  const upstream = requireSwitch(config).upstream;
  return hosts.map((h) => hostLive({ host: h.host.name, path: h.path, content: h.content }, upstream, environments));
}

/** What is live now: what every host agrees on, else the history's last revision. */
export function currentLive(config: Config, hosts: readonly HostFileFacts[], environments: readonly EnvironmentInfo[], history: readonly HistoryEntry[]): string | undefined {
  return agreedRevision(lives(config, hosts, environments)) ?? history.at(-1)?.to;
}

function testConfigProblem(h: HostFileFacts, staged: string): string | undefined {
  const test = planTest(h.host.test, h.path, staged);
  if (test.mode === 'unsupported') return `${h.host.name}: the test command \`${displayArgv(test.argv)}\` runs neither nginx nor names {staged}, so it cannot test the staged file`;
  if (!h.conf) return undefined;
  const r = shadowTree(h.conf.main, h.path, staged, h.conf.facts);
  return r.ok ? undefined : `${h.host.name}: ${r.problem}`;
}

function planDynamic(sw: SwitchConfig, app: string, host: ResolvedHost, revision: string, backends: EnvironmentInfo['backends'], resolved: Resolution | undefined): { after: string; socket: string; body: string } {
  const socket = controlSocketPath(sw, app, host);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(socket) || socket.length > MAX_SOCKET_PATH) {
    throw new ConfigError('config', [{ path: host.controlSocket ? 'switch.controlSocket' : 'switch.stateDir', message: `gives the control socket ${socket}: it must be an absolute path of letters, digits, '.', '_', '-' and '/' of at most ${MAX_SOCKET_PATH} bytes (a unix socket path); set switch.controlSocket to a shorter one` }]);
  }
  return { after: renderDynamicUpstream({ name: sw.upstream, app, revision, backends, socket, ...(resolved ? { resolved } : {}) }), socket, body: formatControlList([{ revision, weight: 100, backends: balancerPeers(backends, resolved) }]) };
}

/** Refuses (exit 4) before anything changes when a backend name does not resolve on some host. */
function checkResolved(revision: string, hosts: readonly HostFileFacts[], backends: EnvironmentInfo['backends']): void {
  // A backend that is no name at all is refused as such first, with the scheduler's words.
  assertSafeBackends(backends, `environment ${shortSha(revision)}`);
  const details = hosts.flatMap((h) => dynamicBackendProblems(backends, h.resolved).map((p) => `${h.host.name}: ${p}`));
  if (details.length === 0) return;
  const unresolved = hosts.flatMap((h) => {
    const names = [...new Set(backends.filter((b) => dynamicBackendProblems([b], h.resolved).length).map((b) => b.host))];
    return names.length ? [`${names.join(', ')} ${names.length === 1 ? 'does' : 'do'} not resolve on ${h.host.name}`] : [];
  });
  throw new PreconditionError(`environment ${shortSha(revision)} cannot be switched to with switch.method dynamic: ${unresolved.join('; ')}`, {
    code: 'backend.unresolved',
    details,
    hint: 'each load balancer resolves the names itself (getent ahosts <name>, as its nginx does); fix its /etc/hosts or DNS, or use switch.method reload; nothing was changed',
  });
}

/** What a switch or rollback plan states (the report, the page and `--plan --json` read it). */
export interface SwitchPlanFacts {
  action: SwitchAction;
  revision: string;
  live: string | null;
  environment: Pick<EnvironmentInfo, 'id' | 'image' | 'healthy' | 'wanted' | 'backends'>;
  digest: string | null;
  tested: { imageId: string | undefined; digest: string | null; passedAt: string; by: string } | null;
  hosts: { host: string; file: string; changes: boolean }[];
  planHash: string;
  forcedReason?: string;
}

export type SwitchPlan = Plan<SwitchPlanFacts>;

export function planSwitch(config: Config, facts: SwitchFacts, opts: ForceOptions): SwitchPlan {
  checkForceOptions(opts);
  const sw = requireSwitch(config);
  const { action, target } = facts;
  const sha12 = shortSha(target);
  const env = checkEnvironment(facts.environment, target, action);
  const notes: string[] = [];
  const testedNote = checkTested({ revision: target, image: env.image, imageId: facts.imageId, record: facts.record, digest: facts.digest, testedDigests: facts.testedDigests ?? [], ...opts });
  if (testedNote) notes.push(testedNote);
  const hostLives = lives(config, facts.hosts, facts.environments);
  const driftNote = checkDrift(disagreement(hostLives), opts);
  if (driftNote) notes.push(driftNote);
  const live = currentLive(config, facts.hosts, facts.environments, facts.history) ?? null;

  // Each host's file names its own control socket; in reload mode every host gets the same bytes.
  const plain = sw.method === 'dynamic' ? undefined : renderUpstream({ name: sw.upstream, app: config.app, revision: target, backends: env.backends });
  if (plain === undefined) checkResolved(target, facts.hosts, env.backends);
  const perHost = new Map(facts.hosts.map((h) => {
    const dynamic = plain === undefined ? planDynamic(sw, config.app, h.host, target, env.backends, h.resolved) : undefined;
    return [h, { after: dynamic ? dynamic.after : plain!, dynamic }] as const;
  }));
  const changes: HostFileChange[] = [];
  const testProblems: string[] = [];
  const detail: string[] = [];
  // "Already live" means served and recorded, not "the file says so": a switch killed after its
  // rename leaves the file naming the target while nginx (never reloaded) serves the old one and
  // the history says the old one. Then every file is re-applied as it is (test, rename, reload),
  // verified and recorded.
  const recorded = liveFromHistory(facts.history);
  // Dynamic mode: a host whose running nginx serves another list than its file needs the update too.
  const serving = (h: HostFileFacts) => !h.control?.answers || (h.control.served.length === 1 && h.control.served[0] === target);
  const repair = recorded !== target && facts.hosts.every((h) => h.content === perHost.get(h)!.after);
  for (const h of facts.hosts) {
    const { after, dynamic } = perHost.get(h)!;
    if (h.content === after && !repair && serving(h)) continue;
    const staged = stagedPath(h.path);
    const problem = testConfigProblem(h, staged);
    if (problem) testProblems.push(problem);
    const test = planTest(h.host.test, h.path, staged);
    const control: ControlPut | undefined = dynamic && h.control?.answers ? { socket: dynamic.socket, body: dynamic.body } : undefined;
    changes.push({ host: h.host.name, path: h.path, staged, beforeSha256: h.sha256, after, test, reload: h.host.reload, ...(control ? { control } : {}), ...(dynamic ? { socketDir: posix.dirname(dynamic.socket) } : {}) });
    detail.push(
      `${h.host.name}:${h.path}`,
      ...(dynamic && h.resolved ? resolutionLines(h.resolved).map((l) => `resolve: ${l}  (getent ahosts on ${h.host.name}; the file's server lines keep the names)`) : []),
      ...unifiedDiff(h.content, after, { oldLabel: `${h.host.name}:${h.path}`, newLabel: `${h.host.name}:${h.path} (new)` }),
      `test:   ${displayArgv(test.argv)}${test.mode === 'shadow' ? `  (a shadow of ${test.main} that includes the staged file instead)` : ''}`,
      control
        ? `control: PUT unix:${control.socket} /backends (no reload): ${control.body.trimEnd()}`
        : `reload: ${displayArgv(h.host.reload)}${dynamic && h.control && !h.control.answers ? `  (once, to load the dynamic balancer: the control endpoint ${h.control.socket} does not answer: ${h.control.reason})` : ''}`,
    );
    if (dynamic && h.control && !h.control.answers) notes.push(`${h.host.name}: nginx is reloaded once to load the dynamic balancer and its control endpoint (it does not answer on ${h.control.socket}: ${h.control.reason}); later switches need no reload`);
  }
  if (testProblems.length) {
    throw new PreconditionError('cannot test the new upstream file before it goes live', {
      code: 'nginx.test-config',
      details: testProblems,
      hint: 'check that switch.test runs the nginx (with its -c) whose configuration includes the file, or set switch.test (or the host\'s test) to a command containing {staged}',
    });
  }

  const hash = planHash({ command: action, revision: target, changes });
  const state = stateLocation(sw, config.app, facts.hosts.map((h) => h.host));
  const hostNames = facts.hosts.map((h) => h.host.name);
  const forcedReason = opts.force ? opts.reason : undefined;
  const subject = `${action === 'rollback' ? 'rollback to' : 'switch'} ${sha12}  (live: ${live ? shortSha(live) : 'none'})`;
  const factsJson: SwitchPlanFacts = {
    action,
    revision: target,
    live,
    environment: { id: env.id, image: env.image, healthy: env.healthy, wanted: env.wanted, backends: env.backends },
    digest: facts.digest ?? null,
    tested: facts.record ? { imageId: facts.imageId, digest: facts.record.digest ?? null, passedAt: facts.record.passedAt, by: facts.record.by } : null,
    hosts: facts.hosts.map((h) => ({ host: h.host.name, file: h.path, changes: changes.some((c) => c.host === h.host.name), ...(h.resolved ? { resolved: h.resolved } : {}) })),
    planHash: hash,
    ...(forcedReason ? { forcedReason } : {}),
  };
  if (changes.length === 0) {
    return makePlan(action, subject, factsJson, [], [...notes, `${sha12} is already live on ${hostNames.join(', ')}: nothing to change`]);
  }
  if (repair) {
    notes.push(`every upstream file already names ${sha12}, but the history says ${recorded ? shortSha(recorded) : 'nothing'} is live (an interrupted switch?): the files are re-applied unchanged and nginx reloaded, verified and recorded`);
  }
  const from = repair ? recorded : live;

  const verifyTimeout = Math.max(...facts.hosts.map((h) => h.host.verify.timeoutSeconds));
  const steps: SwitchStep[] = [
    {
      id: 'lock',
      kind: 'switch.lock',
      title: `lock ${config.app} on ${state.host}:${state.lock}`,
      app: config.app,
      host: state.host,
      path: state.lock,
      revision: target,
      command: action,
      who: facts.who,
    },
    {
      id: 'switch-upstream',
      kind: 'nginx.switch-upstream',
      title: `nginx upstream ${sw.upstream} -> ${sha12} on ${changes.map((c) => c.host).join(', ')} (${repair ? 'unchanged file, ' : ''}stage and test on every host, then rename and ${changes.every((c) => c.control) ? 'update the running nginx through its control socket (no reload)' : changes.some((c) => c.control) ? 'reload or update through the control socket' : 'reload'} on every host; any failure restores all)`,
      detail,
      revision: target,
      changes,
    },
    {
      id: 'verify',
      kind: 'switch.verify',
      title: `verify ${[...new Set(facts.hosts.map((h) => h.host.verify.url))].join(', ')} serves ${sha12} through ${hostNames.join(', ')} (within ${verifyTimeout}s, else switch back)`,
      revision: target,
      previous: live,
      switchStep: 'switch-upstream',
      probes: facts.hosts.map((h) => ({ host: h.host.name, url: h.host.verify.url, header: h.host.verify.header, timeoutMs: h.host.verify.timeoutSeconds * 1000 })),
      stableMs: changes.every((c) => c.control) ? 0 : RELOAD_STABLE_MS,
      revert: { by: facts.who, hosts: hostNames, planHash: hash, ...(forcedReason ? { forcedReason } : {}) },
      ...(repair ? { repair: true } : {}),
    },
    {
      id: 'record',
      kind: 'switch.record',
      title: `record ${action} ${from ? shortSha(from) : '(none)'} -> ${sha12} in ${state.host}:${state.history}`,
      host: state.host,
      path: state.history,
      entry: { by: facts.who, action, from, to: target, hosts: hostNames, planHash: hash, ...(forcedReason ? { forcedReason } : {}) },
    },
  ];
  const hooked = withSwitchHooks(config, steps, { command: action, app: config.app, revision: target, previous: from, who: facts.who, ...imageDigest(env.image) });
  return makePlan(action, subject, factsJson, hooked, notes);
}
