// The launch queue: apps with instances left to launch, the offers processed for them and why offers
// were declined. GET /v2/queue follows src/main/scala/mesosphere/marathon/api/v2/QueueResource.scala and
// src/main/scala/mesosphere/marathon/raml/QueueInfoConversion.scala (delay, since, processedOffersSummary
// with the funnelled DeclinedOfferStep lists, lastUnusedOffers only with ?embed=lastUnusedOffers); the
// statistics follow src/main/scala/mesosphere/marathon/core/launchqueue/impl/OfferMatchStatisticsActor.scala
// (launch-attempt totals, plus the last unused offer per agent).

import { declineReasons, funnelled, offerJson, REASON_FUNNEL, type Agent, type NoOfferMatchReason, type Placed } from './agents.js';
import type { Features } from './features.js';
import { appDefinitionJson } from './render.js';
import type { AppDef, AppRecord } from './types.js';
import { isoNow, uuid } from './util.js';

interface NoMatch {
  agent: Agent;
  offerId: string;
  reasons: NoOfferMatchReason[];
  at: string;
}

/** Statistics of one launch attempt (reset when the app has nothing left to launch). */
export class LaunchStats {
  readonly since = isoNow();
  processed = 0;
  unused = 0;
  lastUnusedAt?: string;
  lastUsedAt?: string;
  /** Last offer of each agent that could not be used, by agent id (a used offer clears its agent's entry). */
  readonly lastNoMatches = new Map<string, NoMatch>();
  readonly attempt = new Map<NoOfferMatchReason, number>();
  /** Date.now() of the last round of offers (agents re-offer once per OFFER_INTERVAL_MS). */
  lastRound = 0;
  /** Instances the scheduler wants launched but has not placed yet (queue `count`). */
  leftToLaunch = 0;

  used(agent: Agent): void {
    this.processed++;
    this.lastUsedAt = isoNow();
    this.lastNoMatches.delete(agent.id);
  }

  declined(agent: Agent, reasons: NoOfferMatchReason[]): void {
    this.processed++;
    this.unused++;
    const at = isoNow();
    this.lastUnusedAt = at;
    this.lastNoMatches.set(agent.id, { agent, offerId: uuid(), reasons, at });
    const r = funnelled(reasons);
    if (r) this.attempt.set(r, (this.attempt.get(r) ?? 0) + 1);
  }
}

/** DeclinedOfferStep list: each reason with the offers it declined and the offers that reached it. */
function funnelSteps(total: number, summary: Map<NoOfferMatchReason, number>): { reason: string; declined: number; processed: number }[] {
  let processed = total;
  return REASON_FUNNEL.map((reason) => {
    const declined = summary.get(reason) ?? 0;
    const step = { reason, declined, processed };
    processed -= declined;
    return step;
  });
}

export function queueItemJson(app: AppRecord, stats: LaunchStats, f: Features, withLastUnused: boolean): Record<string, unknown> {
  const leftMs = app.launchDelayUntil - Date.now();
  const item: Record<string, unknown> = {
    count: stats.leftToLaunch,
    delay: { timeLeftSeconds: Math.max(0, Math.floor(leftMs / 1000)), overdue: leftMs < 0 },
  };
  if (f.v14) {
    const last = new Map<NoOfferMatchReason, number>();
    for (const m of stats.lastNoMatches.values()) {
      const r = funnelled(m.reasons);
      if (r) last.set(r, (last.get(r) ?? 0) + 1);
    }
    item.since = stats.since;
    item.processedOffersSummary = {
      processedOffersCount: stats.processed,
      unusedOffersCount: stats.unused,
      ...(stats.lastUnusedAt ? { lastUnusedOfferAt: stats.lastUnusedAt } : {}),
      ...(stats.lastUsedAt ? { lastUsedOfferAt: stats.lastUsedAt } : {}),
      rejectSummaryLastOffers: funnelSteps(stats.lastNoMatches.size, last),
      rejectSummaryLaunchAttempt: funnelSteps(stats.processed, stats.attempt),
    };
    if (withLastUnused)
      item.lastUnusedOffers = [...stats.lastNoMatches.values()].map((m) => ({ offer: offerJson(m.agent, m.offerId), reason: m.reasons, timestamp: m.at }));
  }
  item.app = appDefinitionJson(app, f);
  return item;
}

/**
 * One round of offers (one per agent) for `count` instances of `def`: returns the agent of each instance
 * placed. Instances go to the agents with the fewest tasks of the app first, as Mesos' round-robin offers
 * spread them; an agent whose offer fits nothing is recorded as a declined offer with its reasons.
 */
export function offerRound(stats: LaunchStats, def: AppDef, agents: Agent[], placed: Placed, count: number): Agent[] {
  stats.lastRound = Date.now();
  const out: Agent[] = [];
  const tally = (a: Agent) => placed.agentsOf(def.id).filter((x) => x.id === a.id).length + out.filter((x) => x.id === a.id).length;
  const used = new Set<string>();
  const declined = new Map<string, NoOfferMatchReason[]>();
  const extra: Placed = {
    onAgent: (id) => [...placed.onAgent(id), ...out.filter((a) => a.id === id).map(() => def)],
    agentsOf: (id) => [...placed.agentsOf(id), ...(id === def.id ? out : [])],
  };
  let progress = true;
  while (out.length < count && progress) {
    progress = false;
    for (const agent of [...agents].sort((a, b) => tally(a) - tally(b))) {
      if (out.length >= count) break;
      if (declined.has(agent.id)) continue;
      const reasons = declineReasons(def, agent, extra);
      if (reasons.length) {
        if (!used.has(agent.id)) declined.set(agent.id, reasons);
        continue;
      }
      out.push(agent);
      used.add(agent.id);
      progress = true;
      break;
    }
  }
  for (const agent of agents) {
    if (used.has(agent.id)) stats.used(agent);
    else stats.declined(agent, declined.get(agent.id) ?? declineReasons(def, agent, extra));
  }
  return out;
}
