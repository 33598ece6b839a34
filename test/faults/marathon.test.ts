// Fault cases: Marathon misbehaving under `deployer deploy` — 5xx answers, a lost leader, slow
// answers, locks, rejections, a cut or malformed event stream, flapping tasks and hostile task data.
// Each either recovers (exit 0, the preview written and valid) or fails with the README's exit code
// and one clear message, leaving no app in Marathon and the nginx files byte-identical.
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { faultCase, type FaultOutcome } from '../support/fault-case.js';
import { makeDeployFaultWorld, type DeployFaultWorld } from '../support/deploy-faults.js';

let w: DeployFaultWorld;
let cfg: string;
let slowCfg: string;
let shortCfg: string;
let leaderCfg: string;

beforeAll(async () => {
  w = await makeDeployFaultWorld('faults-marathon');
  cfg = await w.config('deployer');
  slowCfg = await w.config('slow', { requestTimeoutSeconds: 1 });
  shortCfg = await w.config('short', { timeoutSeconds: 4 });
  leaderCfg = await w.config('leader', { leaderWaitSeconds: 2 });
});
afterEach(() => w.destroyAll());
afterAll(() => w?.close());

const C = 'marathon';
const apps = (rev: string) => `/v2/apps${w.appId(rev)}`;
const times = (n: number, f: () => void) => Array.from({ length: n }, f);
/** More failures than a 2 s leader wait can use up, on a path of this case's revision alone. */
const UNENDING = 40;
/** Takes the injected failures a case left on a path shared by all (they would meet the next case). */
async function drain(path: string): Promise<void> {
  while ((await fetch(`${w.marathon.url}${path}`)).status !== 200);
}
const html = (status: number) => `<html><head><title>Error ${status}</title></head><body><h2>HTTP ERROR ${status}</h2><p>Problem accessing /v2/apps. Reason:<pre>    Could not determine the current leader</pre></p></body></html>`;

/** Runs deploy of a fresh revision after `inject`; a failure must leave nothing. */
async function refused(expectedExit: number, message: RegExp, inject: (rev: string) => void | Promise<void>, config = () => cfg): Promise<FaultOutcome> {
  const rev = await w.newRevision();
  const before = await w.files();
  await inject(rev);
  const r = await w.cli(config(), ['deploy', rev]);
  return {
    exitCode: r.exitCode,
    expectedExit,
    output: r.stdout + r.stderr,
    message,
    lost: [...(await w.leftInMarathon()), ...(await w.filesUntouched(before)), ...(await w.nginxValid())],
  };
}

/** Deploy recovers: exit 0, the preview entry written, the upstream file untouched, one app. */
async function recovers(message: RegExp | undefined, inject: (rev: string) => void | Promise<void>, run?: (rev: string) => Promise<{ exitCode: number; stdout: string; stderr: string }>): Promise<FaultOutcome> {
  const rev = await w.newRevision();
  const before = await w.files();
  await inject(rev);
  const r = run ? await run(rev) : await w.cli(cfg, ['deploy', rev]);
  const after = await w.files();
  const lost = [...(await w.nginxValid())];
  if (!after.preview.includes(`# revision ${rev}`)) lost.push(`the preview file has no entry for ${rev.slice(0, 12)}:\n${after.preview}`);
  if (after.upstream !== before.upstream) lost.push('the upstream file changed');
  const res = await fetch(`${w.marathon.url}/v2/apps`);
  const ids = ((await res.json()) as { apps: { id: string }[] }).apps.map((a) => a.id).filter((id) => id.startsWith(`${w.prefix}/`));
  if (ids.length !== 1) lost.push(`Marathon holds ${ids.length} apps of the world, expected 1: ${ids.join(', ')}`);
  return { exitCode: r.exitCode, expectedExit: 0, output: r.stdout + r.stderr, ...(message ? { message } : {}), lost };
}

describe('Marathon faults during deploy', () => {
  faultCase(C, '503 on every PUT for longer than leaderWaitSeconds: retried for the wait, saying why, then exit 1 naming status and wait', () =>
    refused(1, /Marathon is unavailable \(HTTP 503: Service Unavailable\); retrying PUT \S+ for up to 2 s[\s\S]*Marathon could not create app \S+ \(503 for 2(\.\d)? s, \d+ attempts\)/, (rev) => {
      times(UNENDING, () => w.marathon.failNext('PUT', apps(rev), 503, { message: 'Service Unavailable' }));
    }, () => leaderCfg));

  faultCase(C, '503 twice, then the answer: the retries win', () =>
    recovers(undefined, (rev) => {
      times(2, () => w.marathon.failNext('PUT', apps(rev), 503, { message: 'Service Unavailable' }));
    }));

  faultCase(C, 'leader unknown (plain-text 502) on every /v2/info for longer than the wait: exit 1, nothing created', async () => {
    const out = await refused(1, /Marathon could not read \/v2\/info \(502 for 2(\.\d)? s, \d+ attempts\): Could not determine the current leader/, () => {
      times(UNENDING, () => w.marathon.failNext('GET', '/v2/info', 502));
    }, () => leaderCfg);
    await drain('/v2/info');
    return out;
  });

  faultCase(C, 'leader unknown (an HTML 503) on every PUT: exit 1 with the text, not the markup', () =>
    refused(1, /\(503 for 2(\.\d)? s, \d+ attempts\): Error 503 HTTP ERROR 503 Problem accessing \/v2\/apps\. Reason: Could not determine the current leader$/m, (rev) => {
      times(UNENDING, () => w.marathon.failNext('PUT', apps(rev), 503, html(503)));
    }, () => leaderCfg));

  faultCase(C, 'a leader election mid-deploy (5 s without a leader, then the other instance; HTML 502s): the deploy waits, says why, exit 0', () => {
    w.marathon.hangDeployments(true);
    return recovers(/Marathon has no leader \(HTTP 502: .*Could not determine the current leader.*\); retrying \S+ \S+ for up to 60 s/, () => {}, async (rev) => {
      const run = w.start(cfg, ['deploy', rev]);
      await run.waitForText(`PUT ${w.appId(rev)}: deployment`);
      w.marathon.loseLeader({ forMs: 5000, then: 'other' });
      w.marathon.hangDeployments(false);
      try {
        return await run.result();
      } finally {
        w.marathon.reelect();
      }
    });
  });

  faultCase(C, 'Ctrl-C while waiting for a leader: exit 130 at once, nothing created', async () => {
    const rev = await w.newRevision();
    const before = await w.files();
    times(UNENDING, () => w.marathon.failNext('PUT', apps(rev), 503, html(503)));
    const run = w.start(cfg, ['deploy', rev]);
    await run.waitForText('Marathon has no leader (HTTP 503');
    run.child.kill('SIGINT');
    const r = await run.result();
    return {
      exitCode: r.exitCode,
      expectedExit: 130,
      output: r.stdout + r.stderr,
      message: /retrying PUT \S+ for up to 60 s[\s\S]*SIGINT received, stopping and cleaning up[\s\S]*interrupted \(SIGINT\)/,
      lost: [...(await w.leftInMarathon()), ...(await w.filesUntouched(before))],
    };
  });

  faultCase(C, 'answers slower than requestTimeoutSeconds: exit 1 naming the timeout, nothing created', () =>
    refused(1, /cannot reach Marathon at \S+ \(GET \/v2\/apps\?\S+: no response within 1000ms, 5 attempts\)/, () => {
      w.marathon.delayNext('GET', '/v2/apps?', 2500, 5);
    }, () => slowCfg));

  faultCase(C, 'a PUT answered too late: retried, still one app and one healthy environment', () =>
    recovers(/is healthy: 1\/1 instances/, (rev) => {
      w.marathon.delayNext('PUT', apps(rev), 2500, 1);
    }, (rev) => w.cli(slowCfg, ['deploy', rev])));

  faultCase(C, '409: the app is locked by another deployment: exit 3 naming it', async () => {
    let locked: string | undefined;
    const out = await refused(3, /Marathon app \S+ is locked by deployment [0-9a-f-]{36}/, (rev) => {
      locked = w.appId(rev);
      w.marathon.lockApp(locked);
    });
    w.marathon.unlockApp(locked!);
    return out;
  });

  faultCase(C, '422: Marathon rejects the definition: exit 1 with the field errors', () =>
    refused(1, /rejected the app definition of \S+ \(422: Object is not valid\)[\s\S]*\/container\/docker\/image: must not be empty/, (rev) => {
      w.marathon.failNext('PUT', apps(rev), 422, { message: 'Object is not valid', details: [{ path: '/container/docker/image', errors: ['must not be empty'] }] });
    }));

  faultCase(C, 'a wrong-shaped answer ({"apps":[{"id":42}]}): exit 1 naming the field', () =>
    refused(1, /wrong shape\n\s+apps\/0\/id: expected string, received number, got 42/, () => {
      w.marathon.failNext('GET', '/v2/apps?', 200, { apps: [{ id: 42 }] });
    }));

  faultCase(C, 'the event stream cut mid-deployment: polling takes over, exit 0', async () => {
    w.marathon.hangDeployments(true);
    return recovers(/event stream dropped/, () => {}, async (rev) => {
      const run = w.start(cfg, ['deploy', rev]);
      await run.waitForText(`PUT ${w.appId(rev)}: deployment`);
      w.marathon.dropEventStreams();
      w.marathon.hangDeployments(false);
      return run.result();
    });
  });

  faultCase(C, 'tasks flapping (healthy, then failing): exit 1 at the deadline, the app removed', () =>
    refused(1, /is not healthy after 4s[\s\S]*was removed/, () => {
      w.marathon.flapAfterDeployment(true);
    }, () => shortCfg));

  const hostile: Array<[string, { host?: unknown; ports?: unknown }, RegExp]> = [
    ['a host with nginx syntax (a;b)', { host: 'a;b' }, /host "a;b" contains ";", which must never reach an nginx file/],
    ['a host that closes a block (})', { host: '}' }, /host "}" contains "}"/],
    ['port 0', { ports: [0] }, /port 0 is out of range 1-65535/],
    ['port 70000', { ports: [70000] }, /port 70000 is out of range 1-65535/],
  ];
  for (const [name, data, detail] of hostile) {
    faultCase(C, `task data with ${name}: exit 4 before any nginx file is written`, () =>
      refused(4, new RegExp(`cannot go into an nginx file[\\s\\S]*${detail.source}`), () => {
        w.marathon.taskData(data);
      }));
  }

  faultCase(C, 'a 50 MB JSON answer: refused unread (exit 1), the app removed', () =>
    refused(1, /answered GET \/v2\/apps\/\S+ with more than 16 MiB; refused/, (rev) => {
      const body = JSON.stringify({ app: { id: w.appId(rev), labels: { padding: 'x'.repeat(50 * 1024 * 1024) } } });
      w.marathon.failNext('GET', apps(rev), 200, body);
    }));

  faultCase(C, 'malformed SSE frames around every event: ignored, named, exit 0', () =>
    recovers(/event stream: ignored a malformed event \(not JSON/, () => {
      w.marathon.rawEvents({ beforeEach: 'data: {"eventType":"deployment_success","id":\r\n\r\ndata: [1,2\r\n\r\ndata: {"eventType":"deployment_failed"}\r\n\r\n' });
    }));

  faultCase(C, 'an SSE line that never ends (3 MB): the stream is dropped, polling finishes, exit 0', () =>
    recovers(/without a line break/, () => {
      w.marathon.rawEvents({ atAttach: `data: ${'x'.repeat(3 * 1024 * 1024)}` });
    }));
});
