import { checkJunit, countsOf, describeCounts, type JunitCounts } from '../junit/check.js';
import { mergeReport, renderReport, suiteCounts, type CaseResult, type SuiteResult } from '../junit/report.js';
import { describeCheck, type SmokeCheck, type SmokeVerdict } from './smoke.js';

// Everything a test-image run learned, turned into the one JUnit file Jenkins reads and the
// verdict (pass, or why not). Pure: the handlers gather the results, this decides.

export interface CommandRun {
  /** As a person reads it: the shell string, or argv joined. */
  command: string;
  /** Undefined when the command was killed (timeout). */
  exitCode?: number;
  timedOut: boolean;
  seconds: number;
  /** Captured stdout and stderr, interleaved as they arrived (possibly only the tail). */
  output: string;
}

export type SuiteJunitFile =
  | { kind: 'not-configured' }
  | { kind: 'missing'; path: string }
  | { kind: 'found'; path: string; text: string };

export interface SmokeRun {
  check: SmokeCheck;
  seconds: number;
  verdict: SmokeVerdict;
}

export interface RunResults {
  revision: string;
  image: string;
  timeoutSeconds: number;
  /** The first setup command that failed; the suite did not run then. */
  setupFailed?: CommandRun;
  /** Undefined when the suite did not run. */
  suite?: CommandRun;
  junit: SuiteJunitFile;
  smoke: SmokeRun[];
  /** A step that could not do its job (a sidecar never ready, an engine error): reported as an error testcase. */
  error?: { phase: string; message: string };
  /** Surefire-style local time stamp, e.g. 2024-05-01T12:00:00. */
  timestamp: string;
}

export interface Verdict {
  passed: boolean;
  /** The JUnit document to write. */
  xml: string;
  counts: JunitCounts;
  /** One line: "passed: 12 tests, 0 failures, 0 errors" or the main reason it failed. */
  headline: string;
  /** Further reasons and the failing testcases, one per line. */
  details: string[];
  /** Things worth saying that do not fail the run (stale counts in the suite's report...). */
  warnings: string[];
}

const SUITE = 'test-image';
const MAX_LISTED = 20;

function commandCase(run: CommandRun, timeoutSeconds: number): CaseResult {
  const base = { name: run.command, classname: SUITE, seconds: run.seconds, output: run.output };
  if (run.timedOut) return { ...base, outcome: 'failed', message: `timed out after ${timeoutSeconds}s; the command was killed` };
  if (run.exitCode !== 0) return { ...base, outcome: 'failed', message: `exited with status ${run.exitCode}` };
  return { ...base, outcome: 'passed' };
}

function exitText(run: CommandRun, timeoutSeconds: number): string {
  return run.timedOut ? `timed out after ${timeoutSeconds}s` : `exited with status ${run.exitCode}`;
}

export function decide(r: RunResults): Verdict {
  const reasons: string[] = [];
  const details: string[] = [];
  const warnings: string[] = [];
  const own: CaseResult[] = [];
  let suiteReport: { text: string; root: Parameters<typeof mergeReport>[1]; counts: JunitCounts } | undefined;

  if (r.setupFailed) {
    own.push({ ...commandCase(r.setupFailed, r.timeoutSeconds), name: `setup: ${r.setupFailed.command}` });
    reasons.push(`setup command ${JSON.stringify(r.setupFailed.command)} ${exitText(r.setupFailed, r.timeoutSeconds)}; the suite did not run`);
  }
  if (r.suite) {
    const run = r.suite;
    const ownCase = commandCase(run, r.timeoutSeconds);
    const checked = r.junit.kind === 'found' ? checkJunit(r.junit.text) : undefined;
    if (run.timedOut) {
      reasons.push(`the test suite timed out after ${r.timeoutSeconds}s: ${JSON.stringify(run.command)} was killed and its container removed`);
    }
    if (r.junit.kind === 'found' && checked?.ok) {
      suiteReport = { text: r.junit.text, root: checked.root, counts: countsOf(checked.summary) };
      warnings.push(...checked.warnings);
      const s = checked.summary;
      if (s.failures + s.errors > 0) {
        reasons.push(`tests failed: ${describeCounts(s)}`);
        for (const c of s.notPassed.filter((x) => x.outcome !== 'skipped').slice(0, MAX_LISTED)) {
          details.push(`${c.outcome === 'error' ? 'error' : 'failed'}: ${c.suite ? `${c.suite} › ` : ''}${c.name}${c.message ? ` — ${c.message}` : ''}`);
        }
      }
      if (!run.timedOut && run.exitCode !== 0) {
        reasons.push(`${JSON.stringify(run.command)} exited with status ${run.exitCode}`);
        // Make the report red as well: Jenkins reads only the XML.
        if (s.failures + s.errors === 0) own.push({ ...ownCase, name: `${run.command} (exit status)`, message: `exited with status ${run.exitCode} although the JUnit report shows no failure` });
      }
    } else {
      own.push(ownCase);
      if (!run.timedOut && run.exitCode !== 0) reasons.push(`tests failed: ${JSON.stringify(run.command)} exited with status ${run.exitCode}`);
      if (r.junit.kind === 'missing') warnings.push(`the suite wrote no JUnit report at ${r.junit.path}; deployer wrote one with a testcase for the command`);
      if (r.junit.kind === 'found' && checked && !checked.ok) {
        reasons.push(`the suite's JUnit report ${r.junit.path} is malformed (not passed on to Jenkins)`);
        details.push(...checked.problems.map((p) => `  ${p}`));
        own.push({
          name: `JUnit report ${r.junit.path}`,
          classname: SUITE,
          seconds: 0,
          outcome: 'error',
          message: `malformed: ${checked.problems[0]}`,
          detail: checked.problems.join('\n'),
        });
      }
    }
  }

  if (r.error) {
    own.push({ name: `deployer: ${r.error.phase}`, classname: SUITE, seconds: 0, outcome: 'error', message: r.error.message.split('\n')[0]!, detail: r.error.message });
    reasons.unshift(`${r.error.phase} failed: ${r.error.message.split('\n')[0]}`);
  }

  const smokeCases: CaseResult[] = r.smoke.map((s) => ({
    name: describeCheck(s.check),
    classname: 'smoke',
    seconds: s.seconds,
    outcome: s.verdict.ok ? 'passed' : 'failed',
    ...(s.verdict.message ? { message: s.verdict.message } : {}),
    ...(s.verdict.ok ? {} : { detail: s.verdict.detail }),
  }));
  const smokeFailed = r.smoke.filter((s) => !s.verdict.ok);
  if (smokeFailed.length) {
    reasons.push(`${smokeFailed.length} of ${r.smoke.length} smoke check${r.smoke.length === 1 ? '' : 's'} failed`);
    for (const s of smokeFailed) details.push(`smoke: ${describeCheck(s.check)} — ${s.verdict.message}`, ...s.verdict.detail.split('\n').slice(0, 12).map((l) => `    ${l}`));
  }

  const properties = { revision: r.revision, image: r.image };
  const ownSuite = (cases: CaseResult[]): SuiteResult => ({ name: SUITE, cases, timestamp: r.timestamp, properties });
  const extra: SuiteResult[] = [];
  if (suiteReport && own.length) extra.push(ownSuite(own));
  if (smokeCases.length) extra.push({ name: 'smoke', cases: smokeCases, timestamp: r.timestamp, properties });

  let xml: string;
  let counts: JunitCounts;
  if (suiteReport) {
    xml = mergeReport(suiteReport.text, suiteReport.root, extra);
    counts = [suiteReport.counts, ...extra.map((s) => suiteCounts(s.cases))].reduce(add);
  } else {
    const suites = own.length ? [ownSuite(own), ...extra] : extra;
    xml = renderReport(`deployer test-image ${r.revision.slice(0, 12)}`, suites);
    counts = suites.map((s) => suiteCounts(s.cases)).reduce(add, { tests: 0, failures: 0, errors: 0, skipped: 0 });
  }

  const passed = reasons.length === 0;
  return {
    passed,
    xml,
    counts,
    headline: passed ? `passed: ${describeCounts(counts)}` : reasons[0]!,
    details: [...reasons.slice(1), ...details],
    warnings,
  };
}

function add(a: JunitCounts, b: JunitCounts): JunitCounts {
  return { tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors, skipped: a.skipped + b.skipped };
}
