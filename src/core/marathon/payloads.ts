import { z } from 'zod';
import type { MarathonApp, MarathonTask } from './app-info.js';
import type { MarathonDeployment } from './errors.js';
import type { MarathonQueueItem } from './queue.js';

// The shapes deployer reads from Marathon's REST answers, checked where they enter (the client):
// a field of the wrong type (`"id": 42`) is refused with its path, never met later as a TypeError.
// Objects stay loose (other versions add fields); what deployer uses is typed, null or absent
// wherever some Marathon version sends it so (docs/marathon-api.md §2.2).

const text = z.string();
const labels = z.record(z.string(), z.string()).nullish();

const healthResult = z.looseObject({
  alive: z.boolean().optional(),
  consecutiveFailures: z.number().optional(),
  firstSuccess: text.nullish(),
  lastSuccess: text.nullish(),
  lastFailure: text.nullish(),
  lastFailureCause: text.nullish(),
});

const task = z.looseObject({
  id: text,
  appId: text.optional(),
  host: text.nullish(),
  ports: z.array(z.number().int()).nullish(),
  state: text.nullish(),
  stagedAt: text.nullish(),
  startedAt: text.nullish(),
  version: text.optional(),
  healthCheckResults: z.array(healthResult).nullish(),
}) satisfies z.ZodType<MarathonTask>;

const app = z.looseObject({
  id: text,
  instances: z.number().int().optional(),
  labels,
  env: z.record(z.string(), z.unknown()).nullish(),
  container: z.looseObject({ docker: z.looseObject({ image: text.optional() }).nullish() }).nullish(),
  healthChecks: z.array(z.unknown()).nullish(),
  tasks: z.array(task).nullish(),
  deployments: z.array(z.looseObject({ id: text })).nullish(),
  version: text.optional(),
  versionInfo: z.looseObject({ lastConfigChangeAt: text.optional(), lastScalingAt: text.optional() }).nullish(),
  lastTaskFailure: z.looseObject({ host: text.optional(), message: text.optional(), state: text.optional(), taskId: text.optional(), timestamp: text.optional() }).nullish(),
  tasksRunning: z.number().optional(),
  tasksHealthy: z.number().optional(),
  tasksStaged: z.number().optional(),
  tasksUnhealthy: z.number().optional(),
}) satisfies z.ZodType<MarathonApp>;

const deployment = z.looseObject({
  id: text,
  version: text.optional(),
  affectedApps: z.array(text).optional(),
  currentStep: z.number().optional(),
  totalSteps: z.number().optional(),
  currentActions: z.array(z.looseObject({ action: text.optional(), type: text.optional(), app: text.optional() })).optional(),
  steps: z.unknown(),
}) satisfies z.ZodType<MarathonDeployment>;

const declinedStep = z.looseObject({ reason: text, declined: z.number(), processed: z.number() });

const queueItem = z.looseObject({
  count: z.number().optional(),
  delay: z.looseObject({ timeLeftSeconds: z.number().optional(), overdue: z.boolean().optional() }).nullish(),
  since: text.optional(),
  processedOffersSummary: z.looseObject({
    processedOffersCount: z.number().optional(),
    unusedOffersCount: z.number().optional(),
    lastUnusedOfferAt: text.nullish(),
    rejectSummaryLastOffers: z.array(declinedStep).optional(),
    rejectSummaryLaunchAttempt: z.array(declinedStep).optional(),
  }).nullish(),
  // Pods are queued under `pod`; deployer's environments are apps.
  app: z.looseObject({ id: text }).nullish(),
}) satisfies z.ZodType<MarathonQueueItem>;

/** One schema per endpoint deployer calls. */
export const marathonAnswers = {
  app: z.looseObject({ app }),
  apps: z.looseObject({ apps: z.array(app).nullish() }),
  deployments: z.array(deployment),
  putApp: z.looseObject({ deploymentId: text.optional(), deployments: z.array(z.looseObject({ id: text })).optional() }).optional(),
  deleteApp: z.looseObject({ deploymentId: text.optional() }).optional(),
  info: z.looseObject({ version: text.optional() }).optional(),
  queue: z.looseObject({ queue: z.array(queueItem) }),
} as const;

/** `apps/0/id: expected string, got 42` — at most a few, so a hostile answer cannot flood the output. */
export function describeAnswerProblems(error: z.ZodError): string[] {
  const shown = error.issues.slice(0, 5).map((i) => {
    const path = i.path.map(String).join('/') || '(whole answer)';
    const got = 'input' in i && i.input !== undefined ? `, got ${JSON.stringify(i.input)?.slice(0, 60) ?? typeof i.input}` : '';
    return `${path}: ${i.message.replace(/^Invalid input: /, '')}${got}`;
  });
  if (error.issues.length > shown.length) shown.push(`… and ${error.issues.length - shown.length} more`);
  return shown;
}
