import type { MarathonApp } from '../../../core/marathon/app-info.js';
import type { MarathonDeployment } from '../../../core/marathon/errors.js';
import { marathonAnswers } from '../../../core/marathon/payloads.js';
import { appPath } from '../../../core/marathon/app-id.js';
import type { MarathonQueueItem } from '../../../core/marathon/queue.js';
import { MarathonHttpError, type MarathonClient } from './client.js';
import { marathonFailure } from './failures.js';

// The GETs every phase uses, each turning Marathon's errors into one for a person.

export interface MarathonReads {
  /** undefined when Marathon answers 404. */
  app(appId: string, signal?: AbortSignal): Promise<MarathonApp | undefined>;
  deployments(signal?: AbortSignal): Promise<MarathonDeployment[]>;
  /** The launch queue: apps with instances left to launch, and why offers were declined. */
  queue(signal?: AbortSignal): Promise<MarathonQueueItem[]>;
  /** /v2/info, read once (a failure is not cached). */
  info(): Promise<{ version?: string }>;
}

export function marathonReads(client: MarathonClient): MarathonReads {
  let info: Promise<{ version?: string }> | undefined;
  const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});
  return {
    async app(appId, signal) {
      try {
        return (await client.request('GET', appPath(appId), { schema: marathonAnswers.app, ...withSignal(signal) })).body.app;
      } catch (e) {
        if (e instanceof MarathonHttpError && e.status === 404) return undefined;
        throw marathonFailure(client, `read app ${appId}`, e);
      }
    },
    async deployments(signal) {
      try {
        return (await client.request('GET', '/v2/deployments', { schema: marathonAnswers.deployments, ...withSignal(signal) })).body;
      } catch (e) {
        throw marathonFailure(client, 'list deployments', e);
      }
    },
    async queue(signal) {
      try {
        return (await client.request('GET', '/v2/queue', { schema: marathonAnswers.queue, ...withSignal(signal) })).body.queue;
      } catch (e) {
        throw marathonFailure(client, 'read the launch queue', e);
      }
    },
    info() {
      info ??= client.request('GET', '/v2/info', { schema: marathonAnswers.info }).then(
        (r) => ({ ...(typeof r.body?.version === 'string' ? { version: r.body.version } : {}) }),
        (e) => {
          info = undefined;
          throw marathonFailure(client, 'read /v2/info', e);
        },
      );
      return info;
    },
  };
}
