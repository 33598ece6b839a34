import type { IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';
import { parseEventData, WATCHED_EVENT_TYPES, type DeployEvent } from '../../../core/marathon/events.js';
import type { MarathonClient } from './client.js';

// The SSE event stream /v2/events. Jetty compares the Accept header with equals(), so it must be
// exactly `text/event-stream` (anything else is a 405). Frames use CRLF and blank keepalives every
// 10 s; events during a disconnect are lost, so a drop is reported and the caller falls back to
// polling (docs/marathon-api.md §4.1).
//
// The subscription is registered when `event_stream_attached` arrives: Marathon subscribes the
// connection, then publishes that event through it (HttpEventStreamHandleActor.preStart). Before it,
// events may be missed, so the caller polls until the stream is `attached`.

export interface EventStream {
  /** The connection is open. */
  readonly up: boolean;
  /** Up, and event_stream_attached has arrived: no event is missed from here on. */
  readonly attached: boolean;
  close(): void;
}

export interface EventStreamOptions {
  onEvent(event: DeployEvent): void;
  /** Called once when the stream ends for any reason other than close(). */
  onDrop(reason: string): void;
  signal: AbortSignal;
  /** Marathon sends a keepalive every 10 s; this much silence means the connection is dead. */
  idleTimeoutMs?: number;
  /** How long openEventStream waits for event_stream_attached before it resolves unattached. */
  attachWaitMs?: number;
  /** Called once when event_stream_attached arrives after openEventStream resolved (a late proof). */
  onAttached?(): void;
}

/** Far above any event deployer reads (a light deployment plan is a few KiB). */
const MAX_LINE = 1024 * 1024;

export function eventsPath(): string {
  const q = new URLSearchParams();
  for (const t of WATCHED_EVENT_TYPES) q.append('event_type', t);
  // Accepted 1.5.9+, default 1.7, only format 1.8+; older versions ignore it (docs/marathon-api.md §4.1).
  q.append('plan-format', 'light');
  return `/v2/events?${q.toString()}`;
}

export async function openEventStream(client: MarathonClient, opts: EventStreamOptions): Promise<EventStream> {
  const controller = new AbortController();
  const signal = AbortSignal.any([controller.signal, opts.signal]);
  const res: IncomingMessage = await client.openStream(eventsPath(), { accept: 'text/event-stream' }, signal);
  let up = true;
  let attached = false;
  let resolved = false;
  let closedByUs = false;
  let stopWaiting: () => void = () => {};
  const attachedOrGone = new Promise<void>((resolve) => (stopWaiting = resolve));

  const parser = createParser({
    onEvent(msg) {
      for (const e of parseEventData(msg.data)) {
        if (e.type !== 'attached') {
          opts.onEvent(e);
        } else if (!attached) {
          attached = true;
          stopWaiting();
          if (resolved) opts.onAttached?.();
        }
      }
    },
  });
  const decoder = new TextDecoder();
  res.setTimeout(opts.idleTimeoutMs ?? 60_000, () => res.destroy(new Error('event stream idle')));
  // A line that never ends would grow the parser's buffer without bound: past MAX_LINE the stream
  // is dropped (the caller polls instead).
  let lineLength = 0;
  res.on('data', (chunk: Buffer) => {
    const text = decoder.decode(chunk, { stream: true });
    const lastBreak = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    lineLength = lastBreak < 0 ? lineLength + text.length : text.length - lastBreak - 1;
    if (lineLength > MAX_LINE) {
      res.destroy(new Error(`event stream sent a line of more than ${MAX_LINE / 1024 / 1024} MiB without a line break`));
      return;
    }
    parser.feed(text);
  });
  let dropped = false;
  const drop = (reason: string) => {
    up = false;
    stopWaiting();
    if (dropped || closedByUs) return;
    dropped = true;
    opts.onDrop(reason);
  };
  res.on('end', () => drop('closed by Marathon'));
  res.on('error', (e) => drop(e.message));
  res.on('close', () => drop('connection closed'));

  let timer: NodeJS.Timeout | undefined;
  await Promise.race([attachedOrGone, new Promise<void>((r) => (timer = setTimeout(r, opts.attachWaitMs ?? 2000)))]);
  clearTimeout(timer);
  resolved = true;

  return {
    get up() {
      return up;
    },
    get attached() {
      return up && attached;
    },
    close() {
      closedByUs = true;
      up = false;
      controller.abort();
      res.destroy();
    },
  };
}
