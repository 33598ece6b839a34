import { StepFailedError } from '../../../core/errors.js';
import { appPath } from '../../../core/marathon/app-id.js';
import { marathonAnswers } from '../../../core/marathon/payloads.js';
import type { Clock } from '../../../ports/clock.js';
import { MarathonHttpError, type MarathonClient } from './client.js';
import { marathonFailure } from './failures.js';
import type { MarathonReads } from './reads.js';

// destroy: DELETE the app, then wait for its removal deployment to end. The app is gone from GET at
// once; its tasks are killed by that deployment. A 404 is not "nothing to do": when an earlier
// attempt reached Marathon and only its answer was lost, the retry meets 404 while the removal still
// runs, so the wait is the same either way, by the app's id when the deployment's is unknown.

export interface DestroyInput {
  client: MarathonClient;
  reads: MarathonReads;
  clock: Clock;
  appId: string;
  signal: AbortSignal;
  waitMs: number;
  pollMs: number;
}

export async function destroyApp(input: DestroyInput): Promise<void> {
  const deploymentId = await deleteApp(input);
  await waitForRemoval(input, deploymentId);
}

/** The removal deployment's id; undefined when Marathon answered 404 or named none. */
async function deleteApp({ client, appId, signal }: DestroyInput): Promise<string | undefined> {
  try {
    // force defaults to true on DELETE: it cancels a running deployment instead of a 409.
    return (await client.request('DELETE', appPath(appId), { schema: marathonAnswers.deleteApp, signal })).body?.deploymentId;
  } catch (e) {
    if (e instanceof MarathonHttpError && e.status === 404) return undefined;
    throw marathonFailure(client, `delete app ${appId}`, e);
  }
}

async function waitForRemoval(input: DestroyInput, deploymentId: string | undefined): Promise<void> {
  const { reads, clock, appId, signal } = input;
  const until = clock.now().getTime() + input.waitMs;
  let pending: string[] = [];
  do {
    pending = (await reads.deployments(signal)).filter((d) => d.id === deploymentId || d.affectedApps?.includes(appId)).map((d) => d.id);
    if (pending.length === 0) return;
    await clock.sleep(Math.min(input.pollMs, 1000), signal);
  } while (clock.now().getTime() < until);
  throw new StepFailedError(`Marathon is still removing ${appId} (deployment ${pending.join(', ')}) after ${Math.round(input.waitMs / 1000)}s`, {
    code: 'marathon.slow-delete',
    hint: `check ${input.client.url}/v2/deployments; the app itself is already deleted`,
  });
}
