import type { DeploySpec } from '../../../core/deploy/spec.js';
import { StepFailedError } from '../../../core/errors.js';
import { LABELS } from '../../../core/image-ref.js';
import { appPath } from '../../../core/marathon/app-id.js';
import { buildAppDefinition, type MarathonAppOptions } from '../../../core/marathon/app-definition.js';
import { lockingDeployments, type MarathonDeployment } from '../../../core/marathon/errors.js';
import { marathonAnswers } from '../../../core/marathon/payloads.js';
import type { DeployProgress } from '../../../ports/scheduler.js';
import { MarathonHttpError, type MarathonClient, type MarathonResponse } from './client.js';
import { invalidDefinitionError, lockHeldError, marathonFailure } from './failures.js';
import type { MarathonReads } from './reads.js';

// Phase 2 of a deploy: PUT the app definition and learn the id of the deployment it started.

export interface PutAppInput {
  client: MarathonClient;
  reads: MarathonReads;
  spec: DeploySpec;
  appId: string;
  resources: Omit<MarathonAppOptions, 'appId' | 'version'>;
  signal: AbortSignal;
  progress?: DeployProgress;
}

/** PUTs the app; returns the id of the deployment Marathon started for it. */
export async function putApp(input: PutAppInput): Promise<string> {
  const { client, reads, spec, appId, signal } = input;
  const { version } = await reads.info();
  const def = buildAppDefinition(spec, { appId, version: version ?? '', ...input.resources });
  let res: MarathonResponse<{ deploymentId?: string; deployments?: { id: string }[] } | undefined>;
  try {
    res = await client.request('PUT', appPath(appId), { schema: marathonAnswers.putApp, body: def, signal });
  } catch (e) {
    if (e instanceof MarathonHttpError && e.status === 409) {
      const ours = await ourEarlierDeployment(input, e);
      if (ours) return ours;
      const all = await reads.deployments(signal).catch(() => [] as MarathonDeployment[]);
      throw lockHeldError(client, appId, lockingDeployments(e.body), all);
    }
    if (e instanceof MarathonHttpError && (e.status === 422 || e.status === 400)) throw invalidDefinitionError(appId, e);
    throw marathonFailure(client, `create app ${appId}`, e);
  }
  const id = deploymentIdOf(res);
  if (!id) throw new StepFailedError(`Marathon accepted app ${appId} (${res.status}) but named no deployment id`, { code: 'marathon.protocol' });
  input.progress?.(`PUT ${appId}: deployment ${id}`);
  return id;
}

/** The body's deploymentId (1.0+), else the Marathon-Deployment-Id header (1.4+), else a POST-style body. */
function deploymentIdOf(res: MarathonResponse<{ deploymentId?: string; deployments?: { id: string }[] } | undefined>): string | undefined {
  const header = res.headers['marathon-deployment-id'];
  return res.body?.deploymentId ?? (typeof header === 'string' ? header : undefined) ?? res.body?.deployments?.[0]?.id;
}

/**
 * A 409 after a retry: an earlier attempt may have reached Marathon before its answer was lost, and
 * the lock is then our own deployment (the app carries our revision and has exactly that one).
 */
async function ourEarlierDeployment(input: PutAppInput, e: MarathonHttpError): Promise<string | undefined> {
  if (e.attempts <= 1) return undefined;
  const ids = lockingDeployments(e.body);
  const app = await input.reads.app(input.appId, input.signal);
  const mine = app?.labels?.[LABELS.revision] === input.spec.revision ? app.deployments ?? [] : [];
  return mine.length === 1 && (ids.length === 0 || ids.includes(mine[0]!.id)) ? mine[0]!.id : undefined;
}
