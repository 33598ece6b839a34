import { shortSha } from '../core/image-ref.js';
import { PreconditionError } from '../core/errors.js';
import { renderUpstream } from '../core/nginx/upstream.js';
import type { Config } from '../core/config/schema.js';
import type { Ports } from '../ports/index.js';
import { gathering } from '../planners/gathering.js';
import { gatherHistory } from '../planners/history.js';
import { gatherRollbackFacts, planRollback } from '../planners/rollback.js';
import { computeStatus, gatherStatusFacts, type Status } from '../planners/status.js';
import { gatherSwitchFacts, planSwitch, resolveTarget, type SwitchPlan } from '../planners/switch.js';
import type { HistoryEntry } from '../ports/history.js';

// What the page and the API do, on the same planners as the CLI: nothing here decides anything a
// planner does not; applying a plan is left to the caller's executor (src/cli/commands/serve.ts).

export async function readStatus(ports: Ports, config: Config): Promise<Status> {
  return computeStatus(config, await gathering(ports, () => gatherStatusFacts(ports, config)));
}

export async function readHistory(ports: Ports): Promise<HistoryEntry[]> {
  return gathering(ports, () => gatherHistory(ports.history));
}

/** The upstream block production would get for `rev` (for load balancers that pull their file). */
export async function upstreamFor(ports: Ports, config: Config, rev: string): Promise<string> {
  const environments = await ports.scheduler.list(config.app);
  const target = await resolveTarget(rev, environments.map((e) => e.revision), ports.git).catch(() => rev);
  const env = environments.find((e) => e.revision === target);
  if (!env) {
    throw new PreconditionError(`no environment for revision ${rev}`, { code: 'revision.unknown', hint: 'deploy it first (`deployer deploy <rev>`); `deployer status` lists the environments' });
  }
  return renderUpstream({ name: config.switch?.upstream ?? 'backend', app: config.app, revision: env.revision, backends: env.backends });
}

export type SwitchRequest = { action: 'switch' | 'rollback'; revision: string | undefined; who: string };

export async function planFor(ports: Ports, config: Config, req: SwitchRequest): Promise<SwitchPlan> {
  if (req.action === 'switch') {
    const facts = await gathering(ports, () => gatherSwitchFacts(ports, config, { action: 'switch', revision: req.revision!, who: req.who }));
    return planSwitch(config, facts, { force: false });
  }
  const facts = await gathering(ports, () => gatherRollbackFacts(ports, config, { revision: req.revision, who: req.who }));
  return planRollback(config, facts, { force: false });
}

export function planSummary(plan: SwitchPlan): { revision: string; live: string | null; planHash: string } {
  const f = plan.facts;
  return { revision: f.revision, live: f.live, planHash: f.planHash };
}

export const describeSwitch = (plan: SwitchPlan) => `${plan.command} to ${shortSha(planSummary(plan).revision)}`;

export type Tested = Record<string, { passedAt: string; by: string } | null>;

/** Per environment revision: the passing test record of its image, for the page (status looked it up). */
export function testedOf(status: Status): Tested {
  const out: Tested = {};
  for (const e of status.environments) out[e.revision] = e.tested?.passed ? { passedAt: e.tested.passedAt!, by: e.tested.by! } : null;
  return out;
}
