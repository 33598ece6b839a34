import type { Config } from '../core/config/schema.js';
import { digestOf, shortSha } from '../core/image-ref.js';
import { previewUrl } from '../core/nginx/preview.js';
import { makePlan, type Plan } from '../core/plan.js';
import { liveFromHistory, rollbackTarget } from '../core/switch/history.js';
import { resolveSwitchHosts } from '../core/switch/hosts.js';
import { describeLock } from '../core/switch/lock.js';
import { agreedRevision, disagreement, hostLive, servedRevision, unmatched } from '../core/switch/live.js';
import type { HistoryEntry, HistoryPort } from '../ports/history.js';
import type { LbHosts } from '../ports/lb-hosts.js';
import type { LockState, SwitchLockPort } from '../ports/lock.js';
import type { EnvironmentInfo, SchedulerPort } from '../ports/scheduler.js';
import { readPreviewed } from './environment-preview.js';
import { gatherHostFiles, type HostFileFacts } from './switch.js';
import { gatherTested, type TestedFacts, type TestedReadPorts } from './tested.js';
import { isPassing } from '../core/records/attestation.js';

// `deployer status`: what is live (per the load balancers), every environment, the rollback target,
// drift, and the lock. Read-only: the plan has no steps.

export interface StatusFacts {
  environments: EnvironmentInfo[];
  hosts: HostFileFacts[];
  history: HistoryEntry[];
  lock: LockState | undefined;
  lockLocation: string;
  now: Date;
  /** Revisions with an entry in every preview file; absent when previews are not configured. */
  previewed?: string[];
  /** Per environment revision: its test record lookup, or why it could not be made (registry down). */
  tested?: Record<string, TestedFacts | { error: string }>;
}

/** Whether each environment's image passed, by digest when it is pinned (tested.ts). */
async function gatherTestedAll(ports: TestedReadPorts, environments: readonly EnvironmentInfo[]): Promise<Record<string, TestedFacts | { error: string }>> {
  const out: Record<string, TestedFacts | { error: string }> = {};
  await Promise.all(environments.map(async (e) => {
    out[e.revision] = await gatherTested(ports, e, { explain: false }).catch((err: Error) => ({ error: err.message }));
  }));
  return out;
}

export async function gatherStatusFacts(
  ports: { scheduler: Pick<SchedulerPort, 'list'>; lb: Pick<LbHosts, 'get'>; history: Pick<HistoryPort, 'read'>; lock: Pick<SwitchLockPort, 'inspect' | 'location'>; clock: { now(): Date } } & Partial<TestedReadPorts>,
  config: Config,
): Promise<StatusFacts> {
  const sw = config.switch;
  const environments = await ports.scheduler.list(config.app);
  const testedPorts = ports.docker && ports.records ? { docker: ports.docker, records: ports.records } : undefined;
  const tested = testedPorts ? gatherTestedAll(testedPorts, environments) : Promise.resolve(undefined);
  if (!sw) {
    // Environments only: without a switch section nothing is live through deployer.
    const t = await tested;
    return { environments, hosts: [], history: [], lock: undefined, lockLocation: '', now: ports.clock.now(), ...(t ? { tested: t } : {}) };
  }
  const [hosts, history, lock, previewed, t] = await Promise.all([
    gatherHostFiles(ports.lb, resolveSwitchHosts(sw), 'file'),
    ports.history.read(),
    ports.lock.inspect(),
    readPreviewed(ports.lb, config),
    tested,
  ]);
  return { environments, hosts, history, lock, lockLocation: ports.lock.location, now: ports.clock.now(), ...(previewed ? { previewed } : {}), ...(t ? { tested: t } : {}) };
}

export interface EnvironmentTested {
  /** A passing record: when and by whom. */
  passedAt: string | null;
  by: string | null;
  passed: boolean;
  /** The lookup failed (e.g. the registry is unreachable): unknown, not untested. */
  error: string | null;
}

function testedStatus(t: TestedFacts | { error: string } | undefined): EnvironmentTested | null {
  if (!t) return null;
  if ('error' in t) return { passed: false, passedAt: null, by: null, error: t.error };
  const passed = isPassing(t.record);
  return { passed, passedAt: passed ? t.record!.passedAt : null, by: passed ? t.record!.by : null, error: null };
}

export interface EnvironmentStatus {
  revision: string;
  sha12: string;
  id: string;
  image: string;
  instances: number;
  healthy: number;
  /** Only when the preview file has the environment's entry (a URL that answers). */
  previewUrl: string | null;
  /** false: previews are configured but the file has no entry for it (a deploy stopped before writing it). */
  previewEntry: boolean | null;
  createdAt: string | null;
  ageSeconds: number | null;
  live: boolean;
  rollbackTarget: boolean;
  /** The manifest digest the environment is pinned to; null when it runs a tag. */
  digest: string | null;
  /** Whether its image passed test-image (null: not looked up). */
  tested: EnvironmentTested | null;
}

export interface Status {
  live: string | null;
  /** The history's idea of live, shown when the hosts do not agree or have no deployer file. */
  historyLive: string | null;
  rollbackTarget: string | null;
  environments: EnvironmentStatus[];
  hosts: { host: string; file: string; exists: boolean; revision: string | null; matchesEnvironment: boolean }[];
  drift: string[];
  lock: { location: string; held: boolean; description: string | null; owner: LockState['owner'] | null; holder: LockState['holder'] | null };
}

export function computeStatus(config: Config, facts: StatusFacts): Status {
  const upstream = config.switch?.upstream ?? '';
  const lives = facts.hosts.map((h) => hostLive({ host: h.host.name, path: h.path, content: h.content }, upstream, facts.environments));
  const live = agreedRevision(lives) ?? null;
  const historyLive = liveFromHistory(facts.history);
  const back = rollbackTarget(facts.history, live ?? historyLive) ?? null;
  const drift = [...disagreement(lives), ...unmatched(lives)];
  const environments = [...facts.environments]
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
    .map((e) => ({
      revision: e.revision,
      sha12: shortSha(e.revision),
      id: e.id,
      image: e.image,
      instances: e.wanted,
      healthy: e.healthy,
      previewUrl: config.preview && facts.previewed?.includes(e.revision) !== false ? previewUrl(config.preview, e.revision) : null,
      previewEntry: facts.previewed ? facts.previewed.includes(e.revision) : null,
      createdAt: e.createdAt?.toISOString() ?? null,
      ageSeconds: e.createdAt ? Math.max(0, Math.round((facts.now.getTime() - e.createdAt.getTime()) / 1000)) : null,
      live: e.revision === live,
      rollbackTarget: e.revision === back,
      digest: digestOf(e.image) ?? null,
      tested: testedStatus(facts.tested?.[e.revision]),
    }));
  return {
    live,
    historyLive,
    rollbackTarget: back,
    environments,
    hosts: lives.map((l) => ({ host: l.host, file: l.path, exists: l.exists, revision: servedRevision(l) ?? null, matchesEnvironment: l.matches !== undefined })),
    drift,
    lock: {
      location: facts.lockLocation,
      held: facts.lock !== undefined,
      description: facts.lock ? describeLock(facts.lock) : null,
      owner: facts.lock?.owner ?? null,
      holder: facts.lock?.holder ?? null,
    },
  };
}

export function planStatus(status: Status): Plan<Status> {
  return makePlan('status', `status  (live: ${status.live ? shortSha(status.live) : 'unknown'})`, status, []);
}
