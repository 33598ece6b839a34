import type { Config } from '../core/config/schema.js';
import type { EnvironmentInfo, SchedulerName } from '../core/deploy/environment.js';
import { environmentArtefacts, environmentId, requireDeployConfig } from '../core/deploy/spec.js';
import { PreconditionError, UsageError } from '../core/errors.js';
import { shortSha } from '../core/image-ref.js';
import { makePlan, type Plan } from '../core/plan.js';
import type { SchedulerDestroyStep } from '../core/steps/deploy.js';
import type { GitPort } from '../ports/git.js';
import type { HistoryPort } from '../ports/history.js';
import type { SchedulerPort } from '../ports/scheduler.js';
import { planPreview, readProtected, type Protected } from './environment-preview.js';

export interface DestroyFacts {
  revision: string;
  scheduler: SchedulerName;
  environments: EnvironmentInfo[];
  protected: Protected;
}

/**
 * An environment may belong to a commit this clone does not have, so a sha (or a unique prefix of
 * one, 7+ hex digits) is first matched against the environments; anything else goes through git.
 */
export async function resolveEnvironmentRevision(git: Pick<GitPort, 'resolve'>, envs: readonly EnvironmentInfo[], rev: string): Promise<string> {
  if (/^[0-9a-f]{7,40}$/.test(rev)) {
    const matches = [...new Set(envs.filter((e) => e.revision.startsWith(rev)).map((e) => e.revision))];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new UsageError(`${rev} matches ${matches.length} environments (${matches.map(shortSha).join(', ')})`, { hint: 'give more digits of the sha' });
  }
  return git.resolve(rev);
}

export async function gatherDestroyFacts(
  ports: { git: Pick<GitPort, 'resolve'>; scheduler: Pick<SchedulerPort, 'name' | 'list'>; history?: Pick<HistoryPort, 'read'> | undefined },
  config: Config,
  rev: string,
): Promise<DestroyFacts> {
  requireDeployConfig(config);
  const [environments, protectedRevisions] = await Promise.all([ports.scheduler.list(config.app), readProtected(config.switch ? ports.history : undefined)]);
  const revision = await resolveEnvironmentRevision(ports.git, environments, rev);
  return { revision, scheduler: ports.scheduler.name, environments, protected: protectedRevisions };
}

export function destroyStep(config: Config, scheduler: SchedulerName, revision: string, reason?: string): SchedulerDestroyStep {
  return {
    id: `destroy-${shortSha(revision)}`,
    kind: 'scheduler.destroy',
    title: `destroy ${environmentArtefacts(config, revision)}`,
    ...(reason ? { reason } : {}),
    scheduler,
    environment: environmentId(config, revision),
    app: config.app,
    revision,
  };
}

/** The live revision and the rollback target are never removed (exit 4). */
export function refuseProtected(revision: string, protectedRevisions: Protected): void {
  const sha12 = shortSha(revision);
  if (protectedRevisions.live === revision) {
    throw new PreconditionError(`${sha12} is live: its environment cannot be destroyed`, {
      code: 'destroy.live',
      hint: 'switch to another revision first (`deployer switch <rev>`)',
    });
  }
  if (protectedRevisions.rollback === revision) {
    throw new PreconditionError(`${sha12} is the rollback target: its environment is kept so \`deployer rollback\` works`, {
      code: 'destroy.rollback-target',
      hint: 'it stops being the rollback target after the next switch',
    });
  }
}

/**
 * The preview entry goes first, so nginx never proxies a preview hostname to removed containers;
 * then the environment.
 */
export function planDestroy(config: Config, facts: DestroyFacts, opts: { who?: string } = {}): Plan {
  const sha12 = shortSha(facts.revision);
  refuseProtected(facts.revision, facts.protected);
  const env = facts.environments.find((e) => e.revision === facts.revision);
  const factsJson = {
    revision: facts.revision,
    scheduler: facts.scheduler,
    environment: env ? { id: env.id, healthy: env.healthy, wanted: env.wanted } : null,
    live: facts.protected.live ?? null,
    rollback: facts.protected.rollback ?? null,
  };
  if (!env) {
    return makePlan('destroy', `destroy ${sha12}`, factsJson, [], [`no environment for ${sha12}: nothing to destroy`]);
  }
  const step = destroyStep(config, facts.scheduler, facts.revision);
  step.detail = [`${env.instances.length} instance${env.instances.length === 1 ? '' : 's'}, ${env.healthy}/${env.wanted} healthy, image ${env.image}`];
  return makePlan('destroy', `destroy ${sha12}`, factsJson, [...planPreview(config, { remove: [facts.revision] }, opts.who ?? 'deployer'), step]);
}
