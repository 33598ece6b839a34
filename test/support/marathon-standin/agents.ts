// Mesos agents of the stand-in and the offer matching that places tasks on them.
//
// Each agent offers its resources once per OFFER_INTERVAL_MS to an app that has instances left to launch. An
// offer is declined for the reasons of NoOfferMatchReason, funnelled in Marathon's order (only the first
// failing reason of an offer is counted) — follows src/main/scala/mesosphere/mesos/NoOfferMatchReason.scala
// (reasonFunnel) and src/main/scala/mesosphere/mesos/ResourceMatcher.scala (role first, then constraints,
// then scalar resources). Constraints follow src/main/scala/mesosphere/mesos/Constraints.scala.

import type { AppDef } from './types.js';

export interface Agent {
  /** Mesos agent id (task `slaveId`). */
  id: string;
  /** What Marathon reports as task `host` (the agent's hostname). */
  hostname: string;
  /** Loopback address the agent's containers publish on (and health checks probe). */
  ip: string;
  cpus: number;
  mem: number;
  disk: number;
  gpus: number;
  /** Mesos role of the agent's resources ('*' = unreserved). */
  role: string;
  attributes: Record<string, string>;
}

export type AgentOptions = Partial<Omit<Agent, 'id'>> & { hostname: string };

/** Funnel order of src/main/scala/mesosphere/mesos/NoOfferMatchReason.scala (reasonFunnel). */
export const REASON_FUNNEL = [
  'UnfulfilledRole',
  'UnfulfilledConstraint',
  'NoCorrespondingReservationFound',
  'InsufficientCpus',
  'InsufficientMemory',
  'InsufficientDisk',
  'InsufficientGpus',
  'InsufficientPorts',
] as const;
export type NoOfferMatchReason = (typeof REASON_FUNNEL)[number];

export const OFFER_INTERVAL_MS = 1000;

export function makeAgents(slaveIdPrefix: string, opts: AgentOptions[] | undefined): Agent[] {
  const list = opts?.length ? opts : [{ hostname: '127.0.0.1', ip: '127.0.0.1' }];
  return list.map((o, i) => ({
    id: `${slaveIdPrefix}-S${i}`,
    hostname: o.hostname,
    ip: o.ip ?? '127.0.0.1',
    cpus: o.cpus ?? 16,
    mem: o.mem ?? 32768,
    disk: o.disk ?? 262144,
    gpus: o.gpus ?? 0,
    role: o.role ?? '*',
    attributes: o.attributes ?? {},
  }));
}

/** What is already placed: the definitions of the tasks on each agent, and per app the agents of its tasks. */
export interface Placed {
  onAgent(agentId: string): AppDef[];
  /** Agents of the app's live tasks (one entry per task). */
  agentsOf(appId: string): Agent[];
}

function field(agent: Agent, name: string): string | undefined {
  return name === 'hostname' ? agent.hostname : agent.attributes[name];
}

/** One constraint against one agent (src/main/scala/mesosphere/mesos/Constraints.scala, meetsConstraint). */
function meets(c: string[], agent: Agent, others: Agent[]): boolean {
  const [name = '', op = '', value] = c;
  const mine = field(agent, name);
  const theirs = others.map((a) => field(a, name));
  const full = (re: string, s: string | undefined): boolean => s !== undefined && new RegExp(`^(?:${re})$`).test(s);
  switch (op) {
    case 'UNIQUE':
      return mine !== undefined && !theirs.includes(mine);
    case 'CLUSTER':
    case 'IS':
      return mine !== undefined && (value === undefined || value === '' ? theirs.every((v) => v === mine) : mine === value);
    case 'LIKE':
      return full(value ?? '', mine);
    case 'UNLIKE':
      return !full(value ?? '', mine);
    case 'MAX_PER':
      return mine !== undefined && theirs.filter((v) => v === mine).length < Number(value ?? 1);
    default:
      // GROUP_BY only steers which offer is taken first; it never makes an offer unusable.
      return true;
  }
}

/** Every reason `agent`'s current offer cannot take one more task of `def` (empty: it can). */
export function declineReasons(def: AppDef, agent: Agent, placed: Placed): NoOfferMatchReason[] {
  const out: NoOfferMatchReason[] = [];
  const roles = def.acceptedResourceRoles ?? ['*'];
  if (!roles.includes(agent.role)) out.push('UnfulfilledRole');
  const others = placed.agentsOf(def.id);
  if (!def.constraints.every((c) => meets(c, agent, others))) out.push('UnfulfilledConstraint');
  const used = placed.onAgent(agent.id).reduce((s, d) => ({ cpus: s.cpus + d.cpus, mem: s.mem + d.mem, disk: s.disk + d.disk, gpus: s.gpus + d.gpus }), {
    cpus: 0,
    mem: 0,
    disk: 0,
    gpus: 0,
  });
  if (def.cpus > agent.cpus - used.cpus + 1e-9) out.push('InsufficientCpus');
  if (def.mem > agent.mem - used.mem + 1e-9) out.push('InsufficientMemory');
  if (def.disk > agent.disk - used.disk + 1e-9) out.push('InsufficientDisk');
  if (def.gpus > agent.gpus - used.gpus) out.push('InsufficientGpus');
  return out;
}

/** The reason an offer is counted under (first in the funnel). */
export const funnelled = (reasons: NoOfferMatchReason[]): NoOfferMatchReason | undefined => REASON_FUNNEL.find((r) => reasons.includes(r));

/** Offer JSON of an agent (src/main/scala/mesosphere/marathon/raml/OfferConversion.scala). */
export function offerJson(agent: Agent, offerId: string): Record<string, unknown> {
  const scalar = (name: string, value: number) => ({ name, role: agent.role, scalar: value });
  return {
    id: offerId,
    agentId: agent.id,
    hostname: agent.hostname,
    resources: [
      scalar('cpus', agent.cpus),
      scalar('mem', agent.mem),
      scalar('disk', agent.disk),
      { name: 'ports', role: agent.role, ranges: [{ begin: 31000, end: 32000 }] },
    ],
    attributes: Object.entries(agent.attributes).map(([name, text]) => ({ name, text })),
  };
}
