// Event-stream payloads deployer reacts to. Dispatch is on the JSON `eventType`, never on the SSE
// event name (0.9–0.10 sent data-only frames), and one data field may hold several JSON documents
// separated by CRLF (marathon-lb does the same split; docs/marathon-api.md §4.1).

export type DeployEvent =
  /** The first frame of a subscription: from here on, no event is missed (docs/marathon-api.md §4.1). */
  | { type: 'attached' }
  | { type: 'deployment_success'; id: string }
  | { type: 'deployment_failed'; id: string; reason?: string }
  | { type: 'status_update_event'; appId: string; taskId: string; taskStatus: string; host?: string; message?: string }
  | { type: 'health_changed'; appId?: string; instance: string; alive: boolean | null }
  | { type: 'other'; eventType: string }
  /** Not JSON, not an object, or a deployment/status event without the fields that make it one. */
  | { type: 'malformed'; why: string };

/**
 * Types to ask for with `event_type=` (1.3.7+; older versions send everything and we filter). The
 * filter applies to `event_stream_attached` too, so it must be asked for: it is the proof that the
 * subscription is registered.
 */
export const WATCHED_EVENT_TYPES = [
  'event_stream_attached',
  'deployment_success',
  'deployment_failed',
  'status_update_event',
  'health_status_changed_event',
  'instance_health_changed_event',
] as const;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function parseEventData(data: string): DeployEvent[] {
  const events: DeployEvent[] = [];
  for (const chunk of data.split(/\r?\n/)) {
    if (!chunk.trim()) continue;
    let json: unknown;
    try {
      json = JSON.parse(chunk);
    } catch {
      events.push({ type: 'malformed', why: `not JSON: ${JSON.stringify(chunk.slice(0, 60))}` });
      continue;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      events.push({ type: 'malformed', why: `not a JSON object: ${JSON.stringify(chunk.slice(0, 60))}` });
      continue;
    }
    const e = json as Record<string, unknown>;
    const eventType = str(e.eventType) ?? '';
    switch (eventType) {
      case 'event_stream_attached':
        events.push({ type: 'attached' });
        continue;
      case 'deployment_success':
      case 'deployment_failed': {
        // `id` is the deployment id; `plan.id` is the same and present in every version that has a plan.
        const plan = e.plan as Record<string, unknown> | undefined;
        const id = str(e.id) ?? str(plan?.id);
        if (!id) {
          events.push({ type: 'malformed', why: `${eventType} without a deployment id` });
          continue;
        }
        const reason = str(e.reason);
        events.push(eventType === 'deployment_success' ? { type: eventType, id } : { type: eventType, id, ...(reason ? { reason } : {}) });
        continue;
      }
      case 'status_update_event': {
        const appId = str(e.appId);
        const taskId = str(e.taskId);
        const taskStatus = str(e.taskStatus);
        if (!appId || !taskId || !taskStatus) {
          events.push({ type: 'malformed', why: 'status_update_event without appId, taskId or taskStatus' });
          continue;
        }
        const host = str(e.host);
        const message = str(e.message);
        events.push({ type: eventType, appId, taskId, taskStatus, ...(host ? { host } : {}), ...(message ? { message } : {}) });
        continue;
      }
      case 'health_status_changed_event':
      case 'instance_health_changed_event': {
        const instance = str(e.instanceId) ?? str(e.taskId) ?? '?';
        const appId = str(e.appId) ?? str(e.runSpecId);
        const alive = typeof e.alive === 'boolean' ? e.alive : typeof e.healthy === 'boolean' ? e.healthy : null;
        events.push({ type: 'health_changed', instance, alive, ...(appId ? { appId } : {}) });
        continue;
      }
      default:
        break;
    }
    events.push({ type: 'other', eventType });
  }
  return events;
}
