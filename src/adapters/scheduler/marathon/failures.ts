import { LockHeldError, StepFailedError } from '../../../core/errors.js';
import { describeDeployment, errorMessage, fieldErrors, type MarathonDeployment } from '../../../core/marathon/errors.js';
import { MarathonHttpError, type MarathonClient } from './client.js';

// Marathon's answers turned into errors for a person: what deployer was trying to do, what Marathon
// said, and what to do about it (docs/marathon-api.md §6).

const AUTH_HINTS = {
  none: 'set DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD (basic auth) or DEPLOYER_MARATHON_TOKEN (DC/OS)',
  basic: 'check DEPLOYER_MARATHON_USER and DEPLOYER_MARATHON_PASSWORD',
  token: 'DEPLOYER_MARATHON_TOKEN was refused: DC/OS tokens expire (`dcos auth login`, then `dcos config show core.dcos_acs_token`)',
} as const;

/** "Max number (N) of running deployments is achieved…" (TooManyRunningDeploymentsException, docs/marathon-api.md §3). */
const TOO_MANY_DEPLOYMENTS = /Max number \((\d+)\) of running deployments/;

/** A MarathonHttpError as a StepFailedError naming `action`; anything else is returned as it is. */
export function marathonFailure(client: MarathonClient, action: string, e: unknown): unknown {
  if (!(e instanceof MarathonHttpError)) return e;
  const msg = errorMessage(e.body, e.raw);
  if (e.status === 401) {
    return new StepFailedError(`Marathon refused the credentials (401) while trying to ${action}`, {
      code: 'marathon.auth',
      hint: AUTH_HINTS[client.auth],
      cause: e,
    });
  }
  if (e.status === 403) {
    const limit = TOO_MANY_DEPLOYMENTS.exec(msg);
    if (limit) {
      return new StepFailedError(`Marathon refused to ${action}: it already runs its maximum of ${limit[1]} deployments (403 TooManyRunningDeploymentsException)`, {
        code: 'marathon.too-many-deployments',
        hint: `wait for running deployments to finish (${client.url}/v2/deployments), or raise Marathon's --max_running_deployments; nothing was created`,
        cause: e,
      });
    }
    return new StepFailedError(`Marathon refused to ${action} (403): ${msg}`, { code: 'marathon.forbidden', cause: e });
  }
  if (e.waitedMs !== undefined) {
    return new StepFailedError(`Marathon could not ${action} (${e.status} for ${Math.round(e.waitedMs / 100) / 10} s, ${e.attempts} attempts): ${msg}`, {
      code: 'marathon.no-leader',
      hint: 'Marathon had no leader for all of deploy.marathon.leaderWaitSeconds: check its instances and ZooKeeper, or raise the wait',
      cause: e,
    });
  }
  const retried = e.attempts > 1 ? ` after ${e.attempts} attempts` : '';
  return new StepFailedError(`Marathon could not ${action} (${e.status}${retried}): ${msg}`, { code: 'marathon.failed', details: fieldErrors(e.body), cause: e });
}

/** 409 on PUT: which deployments hold the app (the ids from the answer, else those that affect it). */
export function lockHeldError(client: MarathonClient, appId: string, ids: string[], all: MarathonDeployment[]): LockHeldError {
  const holding = ids.length ? ids : all.filter((d) => d.affectedApps?.includes(appId)).map((d) => d.id);
  const details = holding.map((id) => {
    const d = all.find((x) => x.id === id);
    return `deployment ${d ? describeDeployment(d) : id}`;
  });
  return new LockHeldError(`Marathon app ${appId} is locked by ${holding.length === 1 ? `deployment ${holding[0]}` : `${holding.length || 'an unknown'} deployments`}`, {
    details,
    hint: `wait for it to finish, or cancel it (DELETE ${client.url}/v2/deployments/${holding[0] ?? '<id>'}); \`deployer destroy\` removes the app with its deployments`,
  });
}

/** 422 or 400 on PUT: Marathon's field errors. */
export function invalidDefinitionError(appId: string, e: MarathonHttpError): StepFailedError {
  return new StepFailedError(`Marathon rejected the app definition of ${appId} (${e.status}: ${errorMessage(e.body, e.raw)})`, {
    code: 'marathon.invalid',
    details: fieldErrors(e.body),
    hint: 'check deploy.* in deployer.yaml against these field errors (run with --plan to see the definition)',
    cause: e,
  });
}
