// test-image on the real engine: fixture images FROM deployer-base/busybox with test scripts that
// pass, fail, write no report, hang, write a malformed report or need a sidecar; smoke checks
// against the revision-server. Runs the CLI's main() in-process (no tsx start-up per run).
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.js';
import { checkJunit } from '../../src/core/junit/check.js';
import { buildFixtureImage, fakeSha, leftovers, removeImages } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { xsdProblems } from '../unit/test-image/xsd.js';

const REPO = 'deployer-it-ti/app';
const GOOD = fakeSha('integration-good');
const BROKEN = fakeSha('integration-broken');
const ECHO_SIDECAR = { name: 'echo', image: 'deployer-base/busybox:latest', command: ['nc', '-ll', '-p', '7000', '-e', 'cat'], ready: { tcp: 7000 } };

let work: TmpDir;
let goodImageId: string;

beforeAll(async () => {
  process.env.NO_COLOR = '1';
  work = await tmpDir('ti-int-');
  goodImageId = await buildFixtureImage(`${REPO}:${GOOD}`);
  await buildFixtureImage(`${REPO}:${BROKEN}`, { broken: true });
});

afterAll(async () => {
  await removeImages(`${REPO}:${GOOD}`, `${REPO}:${BROKEN}`);
  await work?.cleanup();
});

afterEach(async () => {
  // Whatever happened in the test: nothing of any run may be left on the engine.
  for (const sha of [GOOD, BROKEN]) expect(await leftovers(`deployer.tested-revision=${sha}`)).toEqual({ containers: [], networks: [] });
});

let n = 0;
async function run(test: Record<string, unknown>, opts: { sha?: string; deploy?: boolean; json?: boolean } = {}) {
  const dir = join(work.path, `run-${++n}`);
  const config = {
    app: 'fixture',
    images: { full: 'deployer-it-ti/app-full', delta: REPO },
    build: { appDir: '/app' },
    test: { junit: '/app/junit.xml', timeoutSeconds: 20, ...test },
    ...(opts.deploy ? { deploy: { port: 8000 } } : {}),
    state: { dir: 'state' },
  };
  await mkdir(dir);
  await writeFile(join(dir, 'deployer.yaml'), stringify(config));
  const junit = join(dir, 'junit_output.xml');
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
  let code: number;
  try {
    code = await main(['node', 'deployer', '-c', join(dir, 'deployer.yaml'), ...(opts.json ? ['--json'] : []), 'test-image', opts.sha ?? GOOD, '--junit', junit]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const xml = existsSync(junit) ? await readFile(junit, 'utf8') : undefined;
  const recordsDir = join(dir, 'state', 'test-records');
  return { code, stdout, stderr, xml, recordsDir };
}

async function validJunit(xml: string | undefined) {
  expect(xml).toBeDefined();
  expect(await xsdProblems(xml!)).toBe('');
  const c = checkJunit(xml!);
  if (!c.ok) throw new Error(c.problems.join('\n'));
  return c.summary;
}

async function records(dir: string) {
  if (!existsSync(dir)) return [];
  return Promise.all((await readdir(dir)).map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8'))));
}

describe('deployer test-image', () => {
  it('passes a passing suite: exit 0, its JUnit plus the smoke checks, output streamed, a record of the image', async () => {
    const r = await run({
      command: './t/pass.sh',
      env: { APP_ENV: 'test' },
      smoke: [
        { path: '/health', status: 200, body: 'ok', header: { name: 'X-Revision', value: GOOD } },
        { path: '/', status: 200, body: 'Hello' },
      ],
    }, { deploy: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('test | ok 3 - env APP_ENV=test in /app');
    expect(r.stdout).toContain(`test-image ${GOOD.slice(0, 12)} passed: 5 tests, 0 failures, 0 errors`);
    expect(await validJunit(r.xml)).toMatchObject({ tests: 5, failures: 0, errors: 0, suites: 2 });
    expect(r.xml).toContain('<testcase name="GET /health → 200, body contains &quot;ok&quot;');
    const [record, ...more] = await records(r.recordsDir);
    expect(more).toEqual([]);
    expect(record).toMatchObject({ imageId: goodImageId, image: `${REPO}:${GOOD}`, revision: GOOD, junit: { tests: 5, failures: 0, errors: 0, skipped: 0 } });
    expect(record.by).toMatch(/.+@.+/);
    expect(Date.now() - Date.parse(record.passedAt)).toBeLessThan(10 * 60_000);
  });

  it('fails a failing suite: exit 1, the failures in the XML, nothing recorded', async () => {
    const r = await run({ command: './t/fail.sh' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED: tests failed: 3 tests, 1 failure, 0 errors');
    expect(r.stdout).toContain('failed: fixture › answers — answers failed');
    expect(await validJunit(r.xml)).toMatchObject({ tests: 3, failures: 1, notPassed: [{ name: 'answers', outcome: 'failed' }] });
    expect(r.xml).toContain('<failure message="answers failed">expected 1, got 2</failure>');
    expect(await records(r.recordsDir)).toEqual([]);

    const j = await run({ command: './t/fail.sh' }, { json: true });
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({
      revision: GOOD, image: `${REPO}:${GOOD}`, imageId: goodImageId, passed: false, recorded: false,
      headline: 'tests failed: 3 tests, 1 failure, 0 errors', counts: { tests: 3, failures: 1, errors: 0, skipped: 0 }, junit: expect.stringMatching(/junit_output\.xml$/),
    });
  });

  it("writes deployer's own report when the suite wrote none", async () => {
    const ok = await run({ command: './t/nojunit.sh' });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('the suite wrote no JUnit report at /app/junit.xml');
    expect(await validJunit(ok.xml)).toMatchObject({ tests: 1, failures: 0 });
    expect(ok.xml).toContain('<testcase name="./t/nojunit.sh" classname="test-image"');
    expect(ok.xml).toContain('a line with markup &lt;b&gt;&amp;&lt;/b&gt; and colour red');

    const bad = await run({ command: './t/nojunit.sh 3' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAILED: tests failed: "./t/nojunit.sh 3" exited with status 3');
    expect(await validJunit(bad.xml)).toMatchObject({ tests: 1, failures: 1 });
  });

  it('kills a hung suite at the timeout: exit 1, a clear message, a report', async () => {
    const r = await run({ command: './t/hang.sh', timeoutSeconds: 2 });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED: the test suite timed out after 2s: "./t/hang.sh" was killed and its container removed');
    expect(await validJunit(r.xml)).toMatchObject({ tests: 1, failures: 1 });
    expect(r.xml).toContain('message="timed out after 2s; the command was killed"');
    expect(r.xml).toContain('started, now hanging');
  });

  it('reports a malformed JUnit file instead of passing it on', async () => {
    const r = await run({ command: './t/malformed.sh' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAILED: the suite's JUnit report /app/junit.xml is malformed (not passed on to Jenkins)");
    expect(r.stdout).toMatch(/not well-formed XML: line 2, column 1: unclosed element <testcase>/);
    expect(await validJunit(r.xml)).toMatchObject({ tests: 2, errors: 1 });
  });

  it('runs setup commands and a sidecar: the suite passes only because they are there', async () => {
    const command = './t/needs-setup.sh && ./t/echo-client.sh';
    const withAll = await run({ command, setup: ['./t/setup.sh'], services: [ECHO_SIDECAR] });
    expect(withAll.code).toBe(0);
    expect(withAll.stderr).toContain('sidecar echo is ready');
    expect(withAll.stderr).toMatch(/test \| sidecar replied: ping-\d+/);
    expect(await validJunit(withAll.xml)).toMatchObject({ tests: 1, failures: 0 });

    const noSidecar = await run({ command, setup: ['./t/setup.sh'] });
    expect(noSidecar.code).toBe(1);
    expect(await validJunit(noSidecar.xml)).toMatchObject({ tests: 1, failures: 1, notPassed: [{ name: 'echo-roundtrip' }] });

    const noSetup = await run({ command, services: [ECHO_SIDECAR] });
    expect(noSetup.code).toBe(1);
    expect(noSetup.stderr).toContain('test | setup did not run');
  });

  it('fails (with a report) when a sidecar never gets ready', async () => {
    const r = await run({ command: './t/pass.sh', timeoutSeconds: 2, services: [{ ...ECHO_SIDECAR, ready: { tcp: 7999 } }] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sidecar echo (deployer-base/busybox:latest) was not ready within 2s (waiting for it to be listening on TCP port 7999)');
    expect(await validJunit(r.xml)).toMatchObject({ tests: 1, errors: 1, notPassed: [{ name: 'deployer: start sidecars', outcome: 'error' }] });
  });

  it('smoke checks fail against a broken image, with the response shown', async () => {
    const r = await run({ command: './t/pass.sh', env: { APP_ENV: 'test' }, smoke: [{ path: '/', status: 200, body: 'Hello' }] }, { sha: BROKEN, deploy: true });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED: 1 of 1 smoke check failed');
    expect(r.stdout).toContain('smoke: GET / → 200, body contains "Hello" — expected status 200, got 500\n');
    expect(r.stdout).toContain('    HTTP 500');
    expect(r.stdout).toContain(`    x-revision: ${BROKEN}`);
    expect(await validJunit(r.xml)).toMatchObject({ tests: 4, failures: 1 });
    expect(r.xml).toMatch(/<failure type="failure" message="expected status 200, got 500">HTTP 500\n[^<]*x-revision: [0-9a-f]{40}\n[^<]*Hello from the test-image fixture/);
  });
});
