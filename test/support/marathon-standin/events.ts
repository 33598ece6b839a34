// The event bus and `GET /v2/events` (docs/marathon-api.md §4.1): Jetty EventSourceServlet framing —
// `event: <type>\r\n` + `data: <json>\r\n` + `\r\n`, a bare `\r\n` heartbeat every 10 s, `Connection: close`,
// no chunked encoding, 405 HTML unless one Accept header is exactly `text/event-stream`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { jettyError } from './jetty.js';
import { isoNow } from './util.js';

export type MarathonEvent = Record<string, unknown> & { eventType: string; timestamp: string };

interface Client {
  res: ServerResponse;
  /** event_type filter (1.3.7+); undefined = everything. */
  types?: Set<string>;
  /** plan-format=light (or the version's default). */
  light: boolean;
  heartbeat: NodeJS.Timeout;
}

export class EventBus {
  private readonly clients = new Set<Client>();
  /** Every event published, in order, for in-process assertions. */
  readonly history: MarathonEvent[] = [];

  /** Fault: raw text written to the streams (malformed SSE), see Faults.sse. */
  raw: () => { atAttach?: string; beforeEach?: string } | undefined = () => undefined;

  constructor(private readonly heartbeatMs: number) {}

  get subscribers(): number {
    return this.clients.size;
  }

  /** `heavy` replaces fields (the deployment `plan`) for clients that did not ask for plan-format=light. */
  publish(eventType: string, fields: Record<string, unknown>, heavy?: Record<string, unknown>): void {
    const timestamp = isoNow();
    const event = { ...fields, eventType, timestamp } as MarathonEvent;
    this.history.push(event);
    for (const c of this.clients) {
      if (c.types && !c.types.has(eventType)) continue;
      const payload = !c.light && heavy ? { ...fields, ...heavy, eventType, timestamp } : event;
      const junk = this.raw()?.beforeEach;
      if (junk) c.res.write(junk);
      c.res.write(`event: ${eventType}\r\ndata: ${JSON.stringify(payload)}\r\n\r\n`);
    }
  }

  attach(req: IncomingMessage, res: ServerResponse, opts: { types?: string[]; light: boolean }): void {
    // Jetty's EventSourceServlet.respond(): 200, text/event-stream;charset=UTF-8, Connection: close, flushed
    // headers and no Transfer-Encoding (removing the header makes Node end the body by closing instead).
    res.removeHeader('transfer-encoding');
    res.writeHead(200, { 'Content-Type': 'text/event-stream;charset=UTF-8', Connection: 'close' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const client: Client = {
      res,
      light: opts.light,
      heartbeat: setInterval(() => res.write('\r\n'), this.heartbeatMs),
      ...(opts.types?.length ? { types: new Set(opts.types) } : {}),
    };
    client.heartbeat.unref();
    this.clients.add(client);
    const remoteAddress = req.socket.remoteAddress ?? 'unknown';
    res.on('close', () => {
      clearInterval(client.heartbeat);
      if (this.clients.delete(client)) this.publish('event_stream_detached', { remoteAddress });
    });
    this.publish('event_stream_attached', { remoteAddress });
    const junk = this.raw()?.atAttach;
    if (junk) res.write(junk);
  }

  /** Fault: cut every open stream abruptly (no final frame, socket destroyed). */
  dropAll(): void {
    for (const c of [...this.clients]) {
      clearInterval(c.heartbeat);
      this.clients.delete(c);
      c.res.socket?.destroy();
    }
  }

  closeAll(): void {
    for (const c of [...this.clients]) {
      clearInterval(c.heartbeat);
      this.clients.delete(c);
      c.res.end();
      c.res.socket?.destroy();
    }
  }
}

/** Jetty's answer to a GET /v2/events without the exact Accept header (HttpServlet.doGet → 405). */
export const jetty405 = (path: string): string => jettyError(405, 'HTTP method GET is not supported by this URL', path);
