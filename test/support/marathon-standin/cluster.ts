// Two Marathon instances and the leadership between them: the LeaderProxyFilter in front of every path —
// follows src/main/scala/mesosphere/marathon/api/LeaderProxyFilter.scala. The leader serves the request
// (X-Marathon-Leader: itself); a standby forwards it to the leader (X-Marathon-Via loop guard, X-Forwarded-For)
// or, from 1.7, answers /v2/events with a 302 redirect to the leader; with no leader known, the request is
// held while the filter re-checks every 250 ms (waitForConsistentLeadership, 11 checks ≈ 2.75 s) and then
// answered by sendError: 503 (≤1.6) / 502 (≥1.7), Jetty's HTML page "Could not determine the current leader".

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Features } from './features.js';
import { JETTY_HTML, jettyError } from './jetty.js';
import { requestUrl, sleep } from './util.js';

export type Instance = 0 | 1;
const NO_LEADER = 'Could not determine the current leader';

export class Leadership {
  /** host:port of instance 0 (the stand-in's `url`) and 1 (`standbyUrl`), set once listening. */
  readonly hostPorts: [string, string] = ['127.0.0.1:0', '127.0.0.1:0'];
  leader: Instance | null = 0;
  /** How long a request waits for a leader before it is refused (Marathon: 11 × 250 ms). */
  waitMs = 2750;
  private timer?: NodeJS.Timeout;
  /** Called when the leader abdicates: Marathon drops its event streams (the process restarts). */
  onAbdicate: () => void = () => {};

  constructor(private readonly f: Features) {}

  /** host:port of the leader (of instance 0 while there is none, for rendering). */
  leaderHostPort(): string {
    return this.hostPorts[this.leader ?? 0];
  }

  /** No leader now; after `forMs` (if given) `next` is elected (default: the old leader again). */
  lose(forMs?: number, next?: Instance): void {
    const old = this.leader;
    clearTimeout(this.timer);
    if (old !== null) this.onAbdicate();
    this.leader = null;
    if (forMs !== undefined) {
      this.timer = setTimeout(() => this.elect(next ?? old ?? 0), forMs);
      this.timer.unref();
    }
  }

  elect(which: Instance): void {
    clearTimeout(this.timer);
    if (this.leader !== null && this.leader !== which) this.onAbdicate();
    this.leader = which;
  }

  close(): void {
    clearTimeout(this.timer);
  }

  /** The filter for a request reaching instance `me`; calls `serve` when this instance is the leader. */
  async filter(me: Instance, req: IncomingMessage, res: ServerResponse, serve: () => void): Promise<void> {
    const end = Date.now() + this.waitMs;
    while (this.leader === null && Date.now() < end) await sleep(Math.min(250, Math.max(1, end - Date.now())));
    const path = requestUrl(req.url).pathname;
    if (this.leader === null) {
      res.writeHead(this.f.noLeaderStatus, { 'Content-Type': JETTY_HTML, 'Cache-Control': 'must-revalidate,no-cache,no-store' });
      return void res.end(jettyError(this.f.noLeaderStatus, NO_LEADER, path));
    }
    if (this.leader === me) return serve();
    const target = `http://${this.leaderHostPort()}${req.url ?? '/'}`;
    if (this.f.redirectEvents && path.startsWith('/v2/events')) {
      res.writeHead(302, { Location: target, 'Content-Length': '0' });
      return void res.end();
    }
    this.forward(me, target, req, res);
  }

  /** JavaUrlConnectionRequestForwarder: same method, headers and body; the leader's answer streamed back. */
  private forward(me: Instance, target: string, req: IncomingMessage, res: ServerResponse): void {
    const via = `1.1 ${this.hostPorts[me]}`;
    const path = requestUrl(req.url).pathname;
    if ([req.headers['x-marathon-via']].flat().includes(via)) {
      res.writeHead(502, { 'Content-Type': JETTY_HTML });
      return void res.end(jettyError(502, 'Detected proxying loop.', path));
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    headers['x-marathon-via'] = via;
    headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(',');
    const out = http.request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-marathon-via': via });
      res.flushHeaders();
      up.pipe(res);
      res.on('close', () => up.destroy());
    });
    out.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'Content-Type': JETTY_HTML });
      res.end(jettyError(502, 'Connection to leader refused.', path));
    });
    res.on('close', () => out.destroy());
    req.pipe(out);
  }
}
