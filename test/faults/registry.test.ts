// Fault cases: the registry misbehaves, through test/support/fault-proxy.ts in front of a real
// docker-registry with htpasswd auth, for full-build and delta-build pushes and test-image pulls.
// Refused and never-answering registries fail (exit 1) or are interrupted (exit 130) with nothing
// pushed; 5xx and one dropped connection are retried until the push or pull is whole (exit 0); a
// 401 is not retried and names the credentials, never the password (exit 4 when found before any
// work, exit 1 when a push is refused). Nothing is left: no build or test container, no new tag in
// the registry or on the engine, the repo as it was.
import { execa } from 'execa';
import { afterAll, beforeAll, describe } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { faultCase } from '../support/fault-case.js';
import { blobGet, blobUpload, byDeployer, byEngine, manifestPut, type Fault, type Match } from '../support/fault-proxy.js';
import { buildWorld, codeCommit, interruptWhen, out, PASSWORD, T, type BuildWorld, type Snapshot } from '../support/fault-build.js';
import { freePort } from '../support/ports.js';
import { leftovers } from '../support/test-image.js';

let w: BuildWorld;
/** A revision whose delta image is only in the registry, for the test-image pulls. */
let pullSha: string;
let deadDir: string;

const TEST = 'test: { command: "test -f /app/index.html", timeoutSeconds: 60 }';

beforeAll(async () => {
  w = await buildWorld('freg', { extra: TEST });
  const full = await w.cli(['full-build']);
  if (full.exitCode !== 0) throw new Error(`full-build of the base failed:\n${out(full)}`);
  pullSha = await codeCommit(w, 'pulled');
  const delta = await w.cli(['delta-build']);
  if (delta.exitCode !== 0) throw new Error(`delta-build for the pulls failed:\n${out(delta)}`);
  deadDir = await w.variant('refused', { registry: `127.0.0.1:${await freePort()}` });
}, T);

afterAll(async () => {
  await w?.close();
}, T);

const injected = (status: number) => w.proxy.seen.filter((s) => s.outcome === status).length;

/**
 * No output may carry the password, and a 401 is not retried: deployer never says "retrying", and
 * no request is answered 401 more than twice (the challenge, then once with credentials).
 */
function refusedOnce(r: CliResult): CliResult {
  if (out(r).includes(PASSWORD)) throw new Error('the output prints the registry password');
  if (/retrying/.test(out(r))) throw new Error(`a 401 was retried:\n${out(r)}`);
  const per = new Map<string, number>();
  for (const s of w.proxy.seen) if (s.outcome === 401) per.set(`${s.method} ${s.path}`, (per.get(`${s.method} ${s.path}`) ?? 0) + 1);
  const again = [...per].filter(([, n]) => n > 2);
  if (again.length) throw new Error(`a 401 was retried: ${again.map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  return r;
}

async function withFault<T>(fault: Fault, fn: () => Promise<T>): Promise<T> {
  w.proxy.set(fault);
  try {
    return await fn();
  } finally {
    w.proxy.set({ kind: 'pass' });
  }
}

/** Runs the CLI while the matched requests are answered 500 twice (then forwarded). */
async function after500s(match: Match, args: string[]): Promise<CliResult> {
  return withFault({ kind: 'status', status: 500, match, times: 2 }, async () => {
    const r = await w.cli(args);
    if (injected(500) !== 2) throw new Error(`expected two injected 500s, saw ${injected(500)}`);
    return r;
  });
}

const hungRequest = () => w.proxy.seen.some((s) => s.outcome === 'hung');

/** The engine's push: blob uploads and the manifest PUT that makes the tag. */
const push: Match = (s) => blobUpload(s) || manifestPut(s);

for (const cmd of ['full-build', 'delta-build'] as const) {
  const pushed = (sha: string) => ({ [cmd === 'full-build' ? w.fullPath : w.deltaPath]: [sha] });
  const kind = (r: CliResult, expectedExit: number, message: RegExp | undefined, lost: string[]) => ({ exitCode: r.exitCode, expectedExit, output: out(r), ...(message ? { message } : {}), lost });

  describe(`registry faults: ${cmd}`, () => {
    faultCase('registry', `${cmd}: registry refuses connections → exit 1, unreachable, nothing pushed`, async () => {
      await codeCommit(w, `${cmd} refused`);
      const before = await w.snapshot();
      return kind(await w.cli([cmd], { dir: deadDir }), 1, /registry 127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/, await w.lost(before));
    }, T);

    faultCase('registry', `${cmd}: 500s on the push, then recovery → retried, pushed whole, exit 0`, async () => {
      const sha = await codeCommit(w, `${cmd} 500`);
      const before = await w.snapshot();
      return kind(await after500s(push, [cmd]), 0, undefined, await w.lostAfterRecovery(before, pushed(sha)));
    }, T);

    faultCase('registry', `${cmd}: 401 on every request → not retried, exit 4 naming the credentials, password never printed`, async () => {
      await codeCommit(w, `${cmd} 401`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'status', status: 401 }, async () => refusedOnce(await w.cli([cmd])));
      return kind(r, 4, /refused the credentials of deployer/, await w.lost(before));
    }, T);

    faultCase('registry', `${cmd}: 401 on the push only → not retried, exit 1 naming the credentials, no tag`, async () => {
      await codeCommit(w, `${cmd} 401 push`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'status', status: 401, match: push }, async () => refusedOnce(await w.cli([cmd])));
      return kind(r, 1, /refused the credentials of deployer/, await w.lost(before));
    }, T);

    faultCase('registry', `${cmd}: connection dropped mid-upload once → the retry completes the tag, exit 0`, async () => {
      const sha = await codeCommit(w, `${cmd} drop once`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'drop', match: blobUpload, times: 1 }, () => w.cli([cmd]));
      return kind(r, 0, undefined, await w.lostAfterRecovery(before, pushed(sha)));
    }, T);

    faultCase('registry', `${cmd}: connection dropped at every manifest PUT → exit 1, no half-pushed tag`, async () => {
      await codeCommit(w, `${cmd} drop always`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'drop', match: manifestPut }, () => w.cli([cmd]));
      return kind(r, 1, /push \S+ failed|the registry is unreachable/, await w.lost(before));
    }, T);

    faultCase('registry', `${cmd}: a registry that never answers → Ctrl-C exits 130 with cleanup`, async () => {
      await codeCommit(w, `${cmd} hang`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'hang' }, () => interruptWhen(w, [cmd], hungRequest));
      return kind(r, 130, /SIGINT received/, await w.lost(before));
    }, T);

    faultCase('registry', `${cmd}: the manifest PUT never answers → Ctrl-C exits 130, no tag, no build container`, async () => {
      await codeCommit(w, `${cmd} hang push`);
      const before = await w.snapshot();
      const r = await withFault({ kind: 'hang', match: manifestPut }, () => interruptWhen(w, [cmd], hungRequest));
      return kind(r, 130, /SIGINT received/, await w.lost(before));
    }, T);
  });
}

describe('registry faults: test-image pulls', () => {
  /** The delta of pullSha is in the registry only; test-image must pull it. */
  const dropLocal = () => execa('docker', ['rmi', '-f', `${w.delta}:${pullSha}`], { reject: false });

  /**
   * test-image pulls the digest the tag names (`<repo>@sha256:…`, so the image has no tag of its own
   * on the engine) and, on a pass, records it beside the image as `sha256-<hex>.att`: both are the
   * result, not leftovers.
   */
  async function pullLost(before: Snapshot, pulled: boolean, output: string): Promise<string[]> {
    const left = await leftovers(`deployer.tested-revision=${pullSha}`);
    const out = [...left.containers.map((c) => `test container ${c} left behind`), ...left.networks.map((n) => `network ${n} left behind`)];
    const digest = /@(sha256:[0-9a-f]{64})/.exec(output)?.[1];
    const ref = digest ? `${w.delta}@${digest}` : `${w.delta}:${pullSha}`;
    const inspect = await execa('docker', ['image', 'inspect', ref], { reject: false });
    if (pulled && inspect.exitCode !== 0) out.push(`${ref} is not on the engine after a pull that succeeded`);
    if (!pulled && inspect.exitCode === 0) out.push(`${ref} is on the engine after a pull that failed`);
    const expected = (l: string) => l.startsWith(`local tag ${w.delta}:${pullSha}`) || l.startsWith(`local tag ${w.delta}:<none>`)
      || (pulled && digest !== undefined && l.includes(`:${digest.replace(':', '-')}.att appeared in the registry`));
    return [...out, ...(await w.lost(before)).filter((l) => !expected(l))];
  }

  faultCase('registry', 'test-image: registry refuses connections → exit 1, unreachable, nothing run', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await w.cli(['test-image', pullSha], { dir: deadDir });
    return { exitCode: r.exitCode, expectedExit: 1, output: out(r), message: /registry 127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/, lost: await pullLost(before, false, out(r)) };
  }, T);

  faultCase('registry', 'test-image: 500s on the engine\'s layer download, then recovery → pulled whole and tested, exit 0', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await after500s(byEngine(blobGet), ['test-image', pullSha]);
    return { exitCode: r.exitCode, expectedExit: 0, output: out(r), lost: await pullLost(before, true, out(r)) };
  }, T);

  faultCase('registry', 'test-image: 401 → exit 4 naming the credentials, password never printed, nothing pulled', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await withFault({ kind: 'status', status: 401 }, async () => refusedOnce(await w.cli(['test-image', pullSha])));
    return { exitCode: r.exitCode, expectedExit: 4, output: out(r), message: /refused the credentials of deployer/, lost: await pullLost(before, false, out(r)) };
  }, T);

  faultCase('registry', 'test-image: the engine\'s layer download cut once → the retry completes the pull, exit 0', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await withFault({ kind: 'drop', match: byEngine(blobGet), times: 1 }, () => w.cli(['test-image', pullSha]));
    return { exitCode: r.exitCode, expectedExit: 0, output: out(r), lost: await pullLost(before, true, out(r)) };
  }, T);

  faultCase('registry', 'test-image: deployer\'s read of the image config cut once → retried, tested, exit 0', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await withFault({ kind: 'drop', match: byDeployer(blobGet), times: 1 }, () => w.cli(['test-image', pullSha]));
    return { exitCode: r.exitCode, expectedExit: 0, output: out(r), message: /retrying in \d+ms/, lost: await pullLost(before, true, out(r)) };
  }, T);

  faultCase('registry', 'test-image: a registry that never answers → Ctrl-C exits 130, nothing run', async () => {
    await dropLocal();
    const before = await w.snapshot();
    const r = await withFault({ kind: 'hang' }, () => interruptWhen(w, ['test-image', pullSha], hungRequest));
    return { exitCode: r.exitCode, expectedExit: 130, output: out(r), message: /SIGINT received/, lost: await pullLost(before, false, out(r)) };
  }, T);
});
