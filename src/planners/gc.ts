import type { Config } from '../core/config/schema.js';
import type { EnvironmentInfo, SchedulerName } from '../core/deploy/environment.js';
import { requireDeployConfig } from '../core/deploy/spec.js';
import { shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { HistoryPort } from '../ports/history.js';
import type { SchedulerPort } from '../ports/scheduler.js';
import { destroyStep } from './destroy.js';
import { planPreview, readProtected, type Protected } from './environment-preview.js';

export interface GcFacts {
  scheduler: SchedulerName;
  environments: EnvironmentInfo[];
  protected: Protected;
}

export async function gatherGcFacts(
  ports: { scheduler: Pick<SchedulerPort, 'name' | 'list'>; history?: Pick<HistoryPort, 'read'> | undefined },
  config: Config,
): Promise<GcFacts> {
  requireDeployConfig(config);
  const [environments, protectedRevisions] = await Promise.all([ports.scheduler.list(config.app), readProtected(config.switch ? ports.history : undefined)]);
  return { scheduler: ports.scheduler.name, environments, protected: protectedRevisions };
}

export const DEFAULT_KEEP = 3;

export interface GcDecision {
  keep: { revision: string; why: string }[];
  remove: string[];
}

/**
 * Keeps the live revision and the rollback target always, then the newest others until `keep`
 * environments remain. An environment whose age is unknown counts as newest: never removed by guess.
 */
export function decideGc(environments: readonly EnvironmentInfo[], protectedRevisions: Protected, keep: number): GcDecision {
  const age = (e: EnvironmentInfo) => e.createdAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const newestFirst = [...environments].sort((a, b) => age(b) - age(a));
  const kept = new Map<string, string>();
  if (protectedRevisions.live && environments.some((e) => e.revision === protectedRevisions.live)) kept.set(protectedRevisions.live, 'live');
  if (protectedRevisions.rollback && environments.some((e) => e.revision === protectedRevisions.rollback)) kept.set(protectedRevisions.rollback, 'rollback target');
  for (const e of newestFirst) {
    if (kept.size >= keep) break;
    if (!kept.has(e.revision)) kept.set(e.revision, `one of the newest ${keep}`);
  }
  return {
    keep: [...kept].map(([revision, why]) => ({ revision, why })),
    remove: newestFirst.map((e) => e.revision).filter((r) => !kept.has(r)),
  };
}

export interface GcPlanFacts {
  scheduler: SchedulerName;
  keep: number;
  live: string | null;
  rollback: string | null;
  kept: GcDecision['keep'];
  remove: string[];
}

/** Preview entries of the removed environments go first (see planDestroy), then the environments. */
export function planGc(config: Config, facts: GcFacts, opts: { who?: string } = {}): Plan<GcPlanFacts> {
  const keep = config.switch?.keep ?? DEFAULT_KEEP;
  const decision = decideGc(facts.environments, facts.protected, keep);
  const steps = decision.remove.map((r) => destroyStep(config, facts.scheduler, r, `beyond switch.keep (${keep})`));
  const notes = decision.keep.map((k) => `keep ${shortSha(k.revision)} (${k.why})`);
  if (steps.length === 0) notes.push(`${facts.environments.length} environment${facts.environments.length === 1 ? '' : 's'}, keep ${keep}: nothing to remove`);
  const preview = steps.length ? planPreview(config, { remove: decision.remove }, opts.who ?? 'deployer') : [];
  return makePlan('gc', `gc  (keep ${keep}, ${facts.environments.length} environment${facts.environments.length === 1 ? '' : 's'})`, {
    scheduler: facts.scheduler,
    keep,
    live: facts.protected.live ?? null,
    rollback: facts.protected.rollback ?? null,
    kept: decision.keep,
    remove: decision.remove,
  }, [...preview, ...steps], notes);
}
