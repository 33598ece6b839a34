// The stand-in driven by an independent client, Debian's python3-marathon (scripts/services.sh installs it),
// so the stand-in cannot drift into agreeing only with our own adapter: create, list with embedded tasks,
// update, deployments, scale, rollback, kill tasks (one, all with scale, by id), delete, and the raw event
// stream — read through the standby, whose /v2/events redirect the client has to follow.

import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarathonStandin, type MarathonStandin } from '../support/marathon-standin/index.js';

const SCRIPT = join(import.meta.dirname, '..', 'support', 'marathon-python-client.py');

describe('marathon stand-in under python3-marathon', () => {
  let m: MarathonStandin;
  beforeAll(async () => {
    m = await startMarathonStandin({ agents: [{ hostname: 'agent-1.marathon.test', ip: '127.0.0.2' }] });
  });
  afterAll(async () => {
    await m?.close();
  });

  it('agrees with the client on every call it makes', async () => {
    // /usr/bin/python3: the Debian interpreter that sees the Debian package (not a pyenv shim).
    const r = await execa('/usr/bin/python3', [SCRIPT, m.url, 'deployer-base/busybox:latest', m.standbyUrl], { reject: false, timeout: 240_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      created: { id: '/py/web', instances: 1, labels: { rev: '1' } },
      listed: [{ id: '/py/web', tasks: [{ host: 'agent-1.marathon.test', state: 'TASK_RUNNING', ports: [expect.any(Number)] }] }],
      updated: ['deploymentId', 'version'],
      deployments: [{ affected_apps: ['/py/web'], steps: 1 }],
      labels_after_update: { rev: '2' },
      scaled: { instances: 2, tasks: 2 },
      rolled_back: { labels: { rev: '1' }, instances: 1 },
      killed_task: true,
      replaced: 1,
      kill_tasks_scale: ['deploymentId', 'version'],
      after_kill: { instances: 0, tasks: 0 },
      kill_given: true,
      replaced_given: 1,
      deleted: true,
    });
    expect(out.event_types).toEqual(
      expect.arrayContaining(['event_stream_attached', 'api_post_event', 'deployment_info', 'deployment_success', 'status_update_event', 'app_terminated_event']),
    );
    expect(m.unhandled).toEqual([]);
    expect(m.requests.some((q) => q.method === 'POST' && q.path.startsWith('/v2/tasks/delete'))).toBe(true);
  }, 300_000);
});
