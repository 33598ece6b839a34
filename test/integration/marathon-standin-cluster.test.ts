// The Marathon stand-in behaving like a cluster: offers declined and the launch queue, leader loss,
// auth, routing and tasks spread over agents. Against the real local Docker engine.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';
import { call, waitUntil, type Json } from '../support/marathon-http.js';

const IMAGE = 'deployer-base/busybox:latest';

function sleeper(id: string, extra: Json = {}): Json {
  return { id, instances: 1, cmd: 'exec sleep 600', cpus: 0.1, mem: 32, container: { type: 'DOCKER', docker: { image: IMAGE } }, ...extra };
}

const step = (item: Json, reason: string): Json | undefined =>
  (item.processedOffersSummary.rejectSummaryLastOffers as Json[]).find((s) => s.reason === reason);

describe('marathon stand-in: apps that cannot be placed', () => {
  let m: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({ agents: [{ hostname: '127.0.0.1', mem: 512 }] });
  });
  afterAll(async () => {
    await m?.close();
  });

  it('gets no tasks, keeps its deployment open and says under /v2/queue why offers are declined', async () => {
    const big = await call(m, 'POST', '/v2/apps', sleeper('/big', { mem: 4096 }));
    expect(big.status).toBe(201);
    const pinned = await call(m, 'POST', '/v2/apps', sleeper('/pinned', { constraints: [['hostname', 'CLUSTER', 'elsewhere.example']] }));
    expect(pinned.status).toBe(201);

    const queue = await waitUntil('two declined offers for both apps', async () => {
      const q = (await call(m, 'GET', '/v2/queue')).json as Json;
      const items = q.queue as Json[];
      const ok = items.length === 2 && items.every((i) => i.processedOffersSummary.unusedOffersCount >= 2);
      return ok ? items : undefined;
    });
    const byId = new Map(queue.map((i) => [i.app.id as string, i]));
    const bigItem = byId.get('/big')!;
    expect(bigItem.count).toBe(1);
    expect(bigItem.delay).toEqual({ timeLeftSeconds: 0, overdue: true });
    expect(typeof bigItem.since).toBe('string');
    expect(bigItem.app.mem).toBe(4096);
    expect(bigItem.app.tasks).toBeUndefined();
    expect(step(bigItem, 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 1, processed: 1 });
    expect(step(bigItem, 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 0, processed: 1 });
    expect(step(byId.get('/pinned')!, 'UnfulfilledConstraint')).toEqual({ reason: 'UnfulfilledConstraint', declined: 1, processed: 1 });
    expect(step(byId.get('/pinned')!, 'InsufficientMemory')).toEqual({ reason: 'InsufficientMemory', declined: 0, processed: 0 });
    const attempt = (bigItem.processedOffersSummary.rejectSummaryLaunchAttempt as Json[]).find((s) => s.reason === 'InsufficientMemory')!;
    expect(attempt.declined).toBe(bigItem.processedOffersSummary.unusedOffersCount);
    expect(bigItem.lastUnusedOffers).toBeUndefined();

    const embedded = (await call(m, 'GET', '/v2/queue?embed=lastUnusedOffers')).json.queue as Json[];
    const offers = embedded.find((i) => i.app.id === '/big')!.lastUnusedOffers as Json[];
    expect(offers).toHaveLength(1);
    expect(offers[0]!.reason).toEqual(['InsufficientMemory']);
    expect(offers[0]!.offer.hostname).toBe('127.0.0.1');

    // Nothing else tells: no tasks, the deployment stays, the app itself looks normal.
    const app = (await call(m, 'GET', '/v2/apps/big?embed=app.tasks')).json.app as Json;
    expect(app.tasks).toEqual([]);
    expect(app.deployments).toHaveLength(1);
    const deployments = (await call(m, 'GET', '/v2/deployments')).json as Json[];
    expect(deployments.map((d) => d.affectedApps[0]).sort()).toEqual(['/big', '/pinned']);

    expect((await call(m, 'DELETE', '/v2/queue/big/delay')).status).toBe(204);
    expect((await call(m, 'DELETE', '/v2/queue/nope/delay')).status).toBe(404);

    // Scaling down to what fits ends the deployment and empties the queue.
    expect((await call(m, 'PUT', '/v2/apps/big?force=true', { mem: 256 })).status).toBe(200);
    await waitUntil('/big running', async () => {
      const a = (await call(m, 'GET', '/v2/apps/big')).json.app as Json;
      return a.tasksRunning === 1 && a.deployments.length === 0 ? a : undefined;
    });
    const left = (await call(m, 'GET', '/v2/queue')).json.queue as Json[];
    expect(left.map((i) => i.app.id)).toEqual(['/pinned']);
    expect(m.unhandled).toEqual([]);
  }, 120_000);
});
