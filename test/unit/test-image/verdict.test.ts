import { describe, expect, it } from 'vitest';
import { checkJunit } from '../../../src/core/junit/check.js';
import { decide, type CommandRun, type RunResults } from '../../../src/core/test/verdict.js';
import { xsdProblems } from './xsd.js';

const SHA = '3f2a9c1e0b7d11223344556677889900aabbccdd';
const ok: CommandRun = { command: './t.sh', exitCode: 0, timedOut: false, seconds: 2, output: 'all good' };
const base: RunResults = { revision: SHA, image: `web:${SHA}`, timeoutSeconds: 30, suite: ok, junit: { kind: 'not-configured' }, smoke: [], timestamp: '2024-05-01T12:00:00' };
const suiteXml = (failures: number) => `<testsuites><testsuite name="t" tests="2" failures="${failures}" errors="0"><testcase name="a"/><testcase name="b">${failures ? '<failure message="b broke"/>' : ''}</testcase></testsuite></testsuites>`;
const found = (text: string) => ({ kind: 'found' as const, path: '/app/junit.xml', text });
const smokeCheck = { path: '/health', status: 200 };

async function valid(xml: string) {
  expect(await xsdProblems(xml)).toBe('');
  const c = checkJunit(xml);
  if (!c.ok) throw new Error(c.problems.join('\n'));
  return c.summary;
}

describe('decide', () => {
  it('passes a suite that exits 0 without a report, with a report of one passing testcase', async () => {
    const v = decide(base);
    expect(v).toMatchObject({ passed: true, headline: 'passed: 1 test, 0 failures, 0 errors', counts: { tests: 1, failures: 0, errors: 0, skipped: 0 } });
    expect(await valid(v.xml)).toMatchObject({ tests: 1, failures: 0 });
    expect(v.xml).toContain('<testcase name="./t.sh" classname="test-image" time="2.000">');
    expect(v.xml).toContain('<property name="revision" value="3f2a9c1e0b7d11223344556677889900aabbccdd"/>');
  });

  it('fails on a non-zero exit without a report, and says the suite wrote none', async () => {
    const v = decide({ ...base, suite: { ...ok, exitCode: 1, output: 'not ok 1' }, junit: { kind: 'missing', path: '/app/junit.xml' } });
    expect(v).toMatchObject({ passed: false, headline: 'tests failed: "./t.sh" exited with status 1' });
    expect(v.warnings).toEqual(['the suite wrote no JUnit report at /app/junit.xml; deployer wrote one with a testcase for the command']);
    expect(await valid(v.xml)).toMatchObject({ tests: 1, failures: 1 });
    expect(v.xml).toContain('<failure type="failure" message="exited with status 1"/>');
    expect(v.xml).toContain('<system-out>not ok 1</system-out>');
  });

  it("passes the suite's report on as is when it passed", async () => {
    const v = decide({ ...base, junit: found(suiteXml(0)) });
    expect(v.passed).toBe(true);
    expect(v.xml).toBe(suiteXml(0));
    expect(v.counts).toEqual({ tests: 2, failures: 0, errors: 0, skipped: 0 });
  });

  it('lists the failing testcases of a failing report', async () => {
    const v = decide({ ...base, suite: { ...ok, exitCode: 1 }, junit: found(suiteXml(1)) });
    expect(v).toMatchObject({ passed: false, headline: 'tests failed: 2 tests, 1 failure, 0 errors' });
    expect(v.details).toEqual(['"./t.sh" exited with status 1', 'failed: t › b — b broke']);
    expect(v.xml).toBe(suiteXml(1));
  });

  it('turns the report red when the command failed but the report shows no failure', async () => {
    const v = decide({ ...base, suite: { ...ok, exitCode: 3 }, junit: found(suiteXml(0)) });
    expect(v.passed).toBe(false);
    expect(await valid(v.xml)).toMatchObject({ tests: 3, failures: 1, suites: 2 });
    expect(v.xml).toContain('message="exited with status 3 although the JUnit report shows no failure"');
  });

  it('fails when the report has failures though the command exited 0', () => {
    expect(decide({ ...base, junit: found(suiteXml(1)) })).toMatchObject({ passed: false, headline: 'tests failed: 2 tests, 1 failure, 0 errors' });
  });

  it('reports a malformed report instead of passing it on', async () => {
    const v = decide({ ...base, junit: found('<testsuite name="t"><testcase name="a"/>') });
    expect(v.passed).toBe(false);
    expect(v.headline).toBe("the suite's JUnit report /app/junit.xml is malformed (not passed on to Jenkins)");
    expect(v.details[0]).toMatch(/not well-formed XML: line 1, column \d+: unclosed element <testsuite>/);
    expect(await valid(v.xml)).toMatchObject({ tests: 2, failures: 0, errors: 1 });
    expect(v.xml).toContain('<testcase name="JUnit report /app/junit.xml" classname="test-image" time="0.000">');
  });

  it('says a timeout plainly', async () => {
    const v = decide({ ...base, suite: { command: './t.sh', timedOut: true, seconds: 30, output: 'waiting...' }, junit: { kind: 'missing', path: '/app/junit.xml' } });
    expect(v.headline).toBe('the test suite timed out after 30s: "./t.sh" was killed and its container removed');
    expect(await valid(v.xml)).toMatchObject({ tests: 1, failures: 1 });
    expect(v.xml).toContain('message="timed out after 30s; the command was killed"');
  });

  it('reports a failed setup command and a suite that did not run', async () => {
    const { suite: _, ...noSuite } = base;
    const v = decide({ ...noSuite, setupFailed: { command: 'apk add x', exitCode: 2, timedOut: false, seconds: 1, output: 'no network' } });
    expect(v).toMatchObject({ passed: false, headline: 'setup command "apk add x" exited with status 2; the suite did not run' });
    expect(v.xml).toContain('<testcase name="setup: apk add x"');
    expect(await valid(v.xml)).toMatchObject({ tests: 1, failures: 1 });
  });

  it('adds smoke checks as their own suite, failing ones with the response', async () => {
    const v = decide({
      ...base,
      junit: found(suiteXml(0)),
      smoke: [
        { check: smokeCheck, seconds: 0.01, verdict: { ok: true, detail: 'HTTP 200' } },
        { check: { path: '/', status: 200, body: 'Hello' }, seconds: 0.02, verdict: { ok: false, message: 'expected status 200, got 500', detail: 'HTTP 500\nx-revision: abc\n\nbroken' } },
      ],
    });
    expect(v).toMatchObject({ passed: false, headline: '1 of 2 smoke checks failed' });
    expect(v.details).toEqual(['smoke: GET / → 200, body contains "Hello" — expected status 200, got 500', '    HTTP 500', '    x-revision: abc', '    ', '    broken']);
    expect(await valid(v.xml)).toMatchObject({ tests: 4, failures: 1, suites: 2 });
    expect(v.counts).toEqual({ tests: 4, failures: 1, errors: 0, skipped: 0 });
  });

  it('records a step that could not do its job as an error testcase', async () => {
    const { suite: _, ...noSuite } = base;
    const v = decide({ ...noSuite, error: { phase: 'start sidecars', message: 'sidecar db was not ready within 5s\nlast log lines:' } });
    expect(v.headline).toBe('start sidecars failed: sidecar db was not ready within 5s');
    expect(await valid(v.xml)).toMatchObject({ tests: 1, errors: 1 });
  });
});
