import type { DeployEvent } from '../../../core/marathon/events.js';
import type { DeployProgress } from '../../../ports/scheduler.js';
import type { MarathonClient } from './client.js';
import { openEventStream, type EventStream, type EventStreamOptions } from './events.js';
import { Waker } from './waker.js';

// Phase 1 of a deploy: subscribe to the event stream *before* the PUT, so our deployment's end
// cannot slip past, and keep what the stream says about it. Events for a deployment id we do not
// know yet are kept until `follow` names ours (they may arrive before the PUT's answer).

export type DeploymentOutcome = { ok: true } | { ok: false; reason: string };

export interface DeploymentWatch {
  /** Our deployment: from now on only its end counts (an end that came before the id is applied). */
  follow(deploymentId: string): void;
  /** What the event stream reported for our deployment; undefined while it runs (or nothing was heard). */
  readonly outcome: DeploymentOutcome | undefined;
  /** The stream is up and its subscription proven: the end of our deployment will be heard. */
  readonly streaming: boolean;
  /** Resolves true when an event, a drop or a late attach woke it; false when `ms` passed. */
  wait(ms: number, signal: AbortSignal): Promise<boolean>;
  /** True once after the stream dropped or was proven late: events may have been missed, read the state again. */
  takeRecheck(): boolean;
  close(): void;
}

export interface WatchOptions {
  appId: string;
  signal: AbortSignal;
  progress?: DeployProgress | undefined;
  pollMs: number;
  eventStream?: Pick<EventStreamOptions, 'idleTimeoutMs' | 'attachWaitMs'> | undefined;
}

export async function watchDeployments(client: MarathonClient, o: WatchOptions): Promise<DeploymentWatch> {
  const waker = new Waker();
  const early = new Map<string, DeploymentOutcome>();
  let ours: string | undefined;
  let outcome: DeploymentOutcome | undefined;
  let recheck = false;
  let malformed = 0;

  const ended = (id: string, result: DeploymentOutcome) => {
    if (ours === undefined) early.set(id, result);
    else if (id === ours) {
      outcome = result;
      waker.wake();
    }
  };
  const onEvent = (e: DeployEvent) => {
    if (e.type === 'deployment_success') ended(e.id, { ok: true });
    else if (e.type === 'deployment_failed') ended(e.id, { ok: false, reason: e.reason ?? 'no reason given' });
    else if (e.type === 'status_update_event' && e.appId === o.appId) o.progress?.(`task ${e.taskId}: ${e.taskStatus}${e.host ? ` on ${e.host}` : ''}`);
    else if (e.type === 'health_changed' && e.appId === o.appId) o.progress?.(`task ${e.instance}: ${e.alive === null ? 'health unknown' : e.alive ? 'healthy' : 'unhealthy'}`);
    else if (e.type === 'malformed' && ++malformed <= 3) o.progress?.(`event stream: ignored a malformed event (${e.why})${malformed === 3 ? '; not reporting more' : ''}`);
  };

  const stream = await subscribe(client, o, {
    onEvent,
    onDrop(reason) {
      o.progress?.(`event stream dropped (${reason}); polling /v2/deployments every ${o.pollMs / 1000}s`);
      recheck = true;
      waker.wake();
    },
    onAttached() {
      o.progress?.('event stream attached; following the deployment by its events');
      recheck = true;
      waker.wake();
    },
  });
  if (stream?.up && !stream.attached) {
    o.progress?.(`event stream: no event_stream_attached yet; polling /v2/deployments every ${o.pollMs / 1000}s until it comes`);
  }

  return {
    follow(id) {
      ours = id;
      const seen = early.get(id);
      if (seen) ended(id, seen);
      early.clear();
    },
    get outcome() {
      return outcome;
    },
    get streaming() {
      return stream?.attached ?? false;
    },
    wait: (ms, signal) => waker.wait(ms, signal),
    takeRecheck() {
      const r = recheck;
      recheck = false;
      return r;
    },
    close() {
      stream?.close();
    },
  };
}

/** Opens the stream, or says why not and returns undefined: the deploy then polls. */
async function subscribe(client: MarathonClient, o: WatchOptions, handlers: Pick<EventStreamOptions, 'onEvent' | 'onDrop' | 'onAttached'>): Promise<EventStream | undefined> {
  try {
    return await openEventStream(client, { signal: o.signal, ...o.eventStream, ...handlers });
  } catch (e) {
    o.signal.throwIfAborted();
    o.progress?.(`event stream unavailable (${e instanceof Error ? e.message : String(e)}); polling /v2/deployments`);
    return undefined;
  }
}
