// The launch queue (GET /v2/queue): why Marathon has not launched an app's tasks. An app no agent
// can take gets no tasks and no event, its deployment never ends, and only the queue says why: the
// offers processed for it and, per step of Marathon's offer-matching funnel, how many were declined
// there (docs/marathon-api.md §3.1).

export interface MarathonDeclinedStep {
  reason: string;
  declined: number;
  processed: number;
}

export interface MarathonQueueItem {
  count?: number;
  delay?: { timeLeftSeconds?: number; overdue?: boolean } | null;
  since?: string;
  processedOffersSummary?: {
    processedOffersCount?: number;
    unusedOffersCount?: number;
    lastUnusedOfferAt?: string | null;
    rejectSummaryLastOffers?: MarathonDeclinedStep[];
    rejectSummaryLaunchAttempt?: MarathonDeclinedStep[];
  } | null;
  app?: { id: string } | null;
}

/** What each NoOfferMatchReason means for a deployer config. */
const REASONS: Record<string, string> = {
  UnfulfilledRole: 'no offer of the role the app runs as',
  UnfulfilledConstraint: 'the app\'s constraints ruled the agent out',
  NoCorrespondingReservationFound: 'no matching resource reservation',
  AgentMaintenance: 'the agent is in maintenance',
  InsufficientCpus: 'not enough cpus (deploy.marathon.cpus)',
  InsufficientMemory: 'not enough memory (deploy.marathon.mem)',
  InsufficientDisk: 'not enough disk',
  InsufficientGpus: 'not enough GPUs',
  InsufficientPorts: 'no free host port',
  DeclinedScarceResources: 'the agent\'s scarce resources (GPUs) are kept for apps that need them',
};

export const queueItemOf = (queue: MarathonQueueItem[], appId: string): MarathonQueueItem | undefined => queue.find((q) => q.app?.id === appId);

/** The declined steps of the last offer of each agent, or else of the whole launch attempt, most declined first. */
function declinedSteps(item: MarathonQueueItem): MarathonDeclinedStep[] {
  const s = item.processedOffersSummary;
  const pick = (steps: MarathonDeclinedStep[] | undefined) => (steps ?? []).filter((x) => x.declined > 0);
  const last = pick(s?.rejectSummaryLastOffers);
  return (last.length ? last : pick(s?.rejectSummaryLaunchAttempt)).sort((a, b) => b.declined - a.declined);
}

/** The reasons offers were declined, for a person: `not enough memory (deploy.marathon.mem) (2 offers)`. */
export function declineReasons(item: MarathonQueueItem): string[] {
  return declinedSteps(item).map((s) => `${REASONS[s.reason] ?? s.reason} (${s.declined} offer${s.declined === 1 ? '' : 's'}, ${s.reason})`);
}

/** Lines for the diagnosis of a stuck deploy. */
export function describeQueueItem(item: MarathonQueueItem): string[] {
  const lines: string[] = [];
  const count = item.count ?? 0;
  const since = item.since ? ` since ${item.since}` : '';
  lines.push(`launch queue: ${count} instance${count === 1 ? '' : 's'} left to launch${since}`);
  const wait = item.delay?.timeLeftSeconds ?? 0;
  if (item.delay && item.delay.overdue === false && wait > 0) lines.push(`launch delayed ${wait} s more (Marathon backs off after failed tasks)`);
  const s = item.processedOffersSummary;
  if (!s) return lines;
  lines.push(`offers: ${s.processedOffersCount ?? 0} processed, ${s.unusedOffersCount ?? 0} not used${s.lastUnusedOfferAt ? `, the last at ${s.lastUnusedOfferAt}` : ''}`);
  for (const r of declineReasons(item)) lines.push(`offer declined: ${r}`);
  return lines;
}
