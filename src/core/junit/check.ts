import { elements, parseXml, textContent, XmlSyntaxError, type XmlElement } from './xml.js';

// Checks a JUnit report against the structure of the Jenkins JUnit schema (junit-10.xsd, see
// fixtures/test-image/README.md) and summarises it the way Jenkins counts: by testcase, not by the
// suites' own (often stale) attributes.

export type CaseOutcome = 'passed' | 'failed' | 'error' | 'skipped';

export interface JunitCase {
  suite: string;
  name: string;
  classname?: string;
  outcome: CaseOutcome;
  /** The failure/error/skipped message (or the first line of its text). */
  message?: string;
}

export interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export interface JunitSummary extends JunitCounts {
  suites: number;
  /** Every testcase that did not pass or was skipped (passing ones are only counted). */
  notPassed: JunitCase[];
}

export type JunitCheck =
  | { ok: true; root: XmlElement; summary: JunitSummary; warnings: string[] }
  | { ok: false; problems: string[] };

interface Rule {
  required?: string[];
  optional?: string[];
  children?: string[];
  /** Text other than whitespace is allowed (mixed or simple content). */
  text: boolean;
  times?: string[];
}

const RERUN: Rule = { required: ['type'], optional: ['message'], children: ['stackTrace', 'system-out', 'system-err'], text: true };
const RESULT: Rule = { optional: ['type', 'message'], text: true };
const RULES: Record<string, Rule> = {
  testsuites: { optional: ['name', 'time', 'tests', 'failures', 'errors'], children: ['testsuite'], text: false, times: ['time'] },
  testsuite: {
    required: ['name', 'tests', 'failures', 'errors'],
    optional: ['group', 'time', 'skipped', 'timestamp', 'hostname', 'id', 'package', 'file', 'log', 'url'],
    children: ['testsuite', 'properties', 'testcase', 'system-out', 'system-err'],
    text: false,
    times: ['time'],
  },
  testcase: {
    required: ['name'],
    optional: ['time', 'classname', 'group'],
    children: ['skipped', 'error', 'failure', 'rerunFailure', 'rerunError', 'flakyFailure', 'flakyError', 'system-out', 'system-err'],
    text: false,
  },
  properties: { children: ['property'], text: false },
  property: { required: ['name', 'value'], text: false },
  failure: RESULT,
  error: RESULT,
  skipped: RESULT,
  'system-out': { text: true },
  'system-err': { text: true },
  stackTrace: { text: true },
  rerunFailure: RERUN,
  rerunError: RERUN,
  flakyFailure: RERUN,
  flakyError: RERUN,
};

/** xs:pattern of SUREFIRE_TIME, checked without the pattern's exponential backtracking. */
export function isSurefireTime(s: string): boolean {
  if (!/^[0-9,]*(\.[0-9]*)?$/.test(s)) return false;
  if (!s.includes(',')) return true;
  return s.length <= 64 && /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$/.test(s);
}

function lineAt(src: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset; k++) if (src.charCodeAt(k) === 10) line++;
  return line;
}

const MAX_PROBLEMS = 20;

export function checkJunit(src: string): JunitCheck {
  let root: XmlElement;
  try {
    root = parseXml(src);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return { ok: false, problems: [`not well-formed XML: ${e.message}`] };
    throw e;
  }
  const problems: string[] = [];
  const problem = (el: XmlElement, msg: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`line ${lineAt(src, el.start)}: ${msg}`);
  };
  if (root.name !== 'testsuites' && root.name !== 'testsuite') {
    return { ok: false, problems: [`line ${lineAt(src, root.start)}: the root element is <${root.name}>, expected <testsuites> or <testsuite>`] };
  }

  const walk = (el: XmlElement) => {
    const rule = RULES[el.name]!;
    for (const a of rule.required ?? []) if (!(a in el.attrs)) problem(el, `<${el.name}> needs the attribute ${a}`);
    const known = new Set([...(rule.required ?? []), ...(rule.optional ?? [])]);
    for (const a of Object.keys(el.attrs)) {
      if (a.startsWith('xmlns') || a.startsWith('xsi:')) continue;
      if (!known.has(a)) problem(el, `<${el.name}> has an attribute the schema does not allow: ${a}`);
    }
    for (const t of rule.times ?? []) {
      const v = el.attrs[t];
      if (v !== undefined && !isSurefireTime(v)) problem(el, `<${el.name}> ${t}="${v}" is not a time in seconds like 1.25`);
    }
    const allowed = new Set(rule.children ?? []);
    for (const c of el.children) {
      if (c.type === 'text') {
        if (!rule.text && c.text.trim() !== '') problem(el, `<${el.name}> may not contain text (${JSON.stringify(c.text.trim().slice(0, 30))})`);
        continue;
      }
      if (!allowed.has(c.name)) {
        problem(c, `<${c.name}> is not allowed inside <${el.name}>`);
        continue;
      }
      walk(c);
    }
    if (rule === RERUN) {
      const order = elements(el).map((c) => rule.children!.indexOf(c.name));
      if (order.some((o, k) => k > 0 && o <= order[k - 1]!)) problem(el, `<${el.name}> children must be stackTrace, system-out, system-err, each at most once, in that order`);
    }
  };
  walk(root);
  if (problems.length) return { ok: false, problems };

  const summary: JunitSummary = { tests: 0, failures: 0, errors: 0, skipped: 0, suites: 0, notPassed: [] };
  const warnings: string[] = [];
  const visitSuite = (suite: XmlElement) => {
    summary.suites++;
    const name = suite.attrs.name ?? '';
    const cases = elements(suite, 'testcase');
    const nested = elements(suite, 'testsuite');
    for (const tc of cases) {
      const failure = elements(tc, 'failure')[0];
      const error = elements(tc, 'error')[0];
      const skipped = elements(tc, 'skipped')[0];
      const result = failure ?? error ?? skipped;
      const outcome: CaseOutcome = failure ? 'failed' : error ? 'error' : skipped ? 'skipped' : 'passed';
      summary.tests++;
      if (outcome === 'failed') summary.failures++;
      if (outcome === 'error') summary.errors++;
      if (outcome === 'skipped') summary.skipped++;
      if (outcome !== 'passed') {
        const message = result?.attrs.message ?? textContent(result!).trim().split('\n')[0];
        summary.notPassed.push({
          suite: name,
          name: tc.attrs.name!,
          ...(tc.attrs.classname !== undefined ? { classname: tc.attrs.classname } : {}),
          outcome,
          ...(message ? { message } : {}),
        });
      }
    }
    if (nested.length === 0 && String(cases.length) !== suite.attrs.tests?.trim()) {
      warnings.push(`line ${lineAt(src, suite.start)}: testsuite ${JSON.stringify(name)} declares tests="${suite.attrs.tests}" but has ${cases.length} testcase(s)`);
    }
    nested.forEach(visitSuite);
  };
  if (root.name === 'testsuite') visitSuite(root);
  else elements(root, 'testsuite').forEach(visitSuite);
  return { ok: true, root, summary, warnings };
}

export function countsOf(s: JunitCounts): JunitCounts {
  return { tests: s.tests, failures: s.failures, errors: s.errors, skipped: s.skipped };
}

export function describeCounts(s: JunitCounts): string {
  const parts = [`${s.tests} test${s.tests === 1 ? '' : 's'}`, `${s.failures} failure${s.failures === 1 ? '' : 's'}`, `${s.errors} error${s.errors === 1 ? '' : 's'}`];
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  return parts.join(', ');
}
