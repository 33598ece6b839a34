import type { CaseOutcome, JunitCounts } from './check.js';
import { escapeAttr, escapeText } from './escape.js';
import type { XmlElement } from './xml.js';

// deployer's own JUnit output: the report for a suite that wrote none (one testcase for the
// command), the smoke checks, and the merge of those into a suite's own report. Everything written
// here validates against the Jenkins JUnit schema (junit-10.xsd).

export interface CaseResult {
  name: string;
  classname: string;
  seconds: number;
  outcome: CaseOutcome;
  /** One line, for the `message` attribute. */
  message?: string;
  /** The body of <failure>/<error>/<skipped>: a response, a diagnosis. */
  detail?: string;
  /** Captured output, for <system-out>. */
  output?: string;
}

export interface SuiteResult {
  name: string;
  cases: CaseResult[];
  /** ISO 8601 without zone, as Surefire writes it (e.g. 2024-05-01T12:00:00). */
  timestamp?: string;
  hostname?: string;
  properties?: Record<string, string>;
}

const RESULT_ELEMENT: Record<Exclude<CaseOutcome, 'passed'>, string> = { failed: 'failure', error: 'error', skipped: 'skipped' };

export function seconds(s: number): string {
  return Math.max(0, s).toFixed(3);
}

export function suiteCounts(cases: readonly CaseResult[]): JunitCounts {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome === 'failed').length,
    errors: cases.filter((c) => c.outcome === 'error').length,
    skipped: cases.filter((c) => c.outcome === 'skipped').length,
  };
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
}

function renderCase(c: CaseResult, pad: string): string {
  const open = `${pad}<testcase${attrs({ name: c.name, classname: c.classname, time: seconds(c.seconds) })}`;
  const body: string[] = [];
  if (c.outcome !== 'passed') {
    const el = RESULT_ELEMENT[c.outcome];
    const a = attrs({ type: c.outcome === 'skipped' ? undefined : c.outcome === 'error' ? 'error' : 'failure', message: c.message });
    body.push(c.detail ? `${pad}  <${el}${a}>${escapeText(c.detail)}</${el}>` : `${pad}  <${el}${a}/>`);
  }
  if (c.output) body.push(`${pad}  <system-out>${escapeText(c.output)}</system-out>`);
  return body.length ? `${open}>\n${body.join('\n')}\n${pad}</testcase>` : `${open}/>`;
}

export function renderSuite(s: SuiteResult, pad = '  '): string {
  const n = suiteCounts(s.cases);
  const time = s.cases.reduce((t, c) => t + c.seconds, 0);
  const lines = [
    `${pad}<testsuite${attrs({ name: s.name, tests: n.tests, failures: n.failures, errors: n.errors, skipped: n.skipped, time: seconds(time), timestamp: s.timestamp, hostname: s.hostname })}>`,
  ];
  const props = Object.entries(s.properties ?? {});
  if (props.length) {
    lines.push(`${pad}  <properties>`);
    for (const [name, value] of props) lines.push(`${pad}    <property${attrs({ name, value })}/>`);
    lines.push(`${pad}  </properties>`);
  }
  for (const c of s.cases) lines.push(renderCase(c, `${pad}  `));
  lines.push(`${pad}</testsuite>`);
  return lines.join('\n');
}

function totals(suites: readonly SuiteResult[]): JunitCounts & { seconds: number } {
  const all = suites.flatMap((s) => s.cases);
  return { ...suiteCounts(all), seconds: all.reduce((t, c) => t + c.seconds, 0) };
}

/** A complete report document from deployer's own results. */
export function renderReport(name: string, suites: readonly SuiteResult[]): string {
  const t = totals(suites);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name, tests: t.tests, failures: t.failures, errors: t.errors, time: seconds(t.seconds) })}>`,
    ...suites.map((s) => renderSuite(s)),
    '</testsuites>',
    '',
  ].join('\n');
}

/**
 * Adds deployer's suites to a suite's own (checked) report, keeping its bytes as they were: a
 * <testsuites> root gets the new suites before its end tag (and its totals, if it states them,
 * raised); a single <testsuite> root is wrapped in a <testsuites>.
 */
export function mergeReport(src: string, root: XmlElement, extra: readonly SuiteResult[]): string {
  if (extra.length === 0) return src;
  const added = extra.map((s) => renderSuite(s)).join('\n');
  if (root.name === 'testsuite') {
    const body = src.slice(root.start, root.end);
    return `${src.slice(0, root.start)}<testsuites>\n${body}\n${added}\n</testsuites>${src.slice(root.end)}`;
  }
  const t = totals(extra);
  const a: Record<string, string> = { ...root.attrs };
  const bump = (k: 'tests' | 'failures' | 'errors', by: number) => {
    if (a[k] !== undefined && /^\s*\d+\s*$/.test(a[k])) a[k] = String(Number(a[k]) + by);
  };
  bump('tests', t.tests);
  bump('failures', t.failures);
  bump('errors', t.errors);
  if (a.time !== undefined && /^\d+(\.\d*)?$/.test(a.time)) a.time = seconds(Number(a.time) + t.seconds);
  const startTag = `<testsuites${attrs(a)}>`;
  const innerTrimmed = src.slice(root.contentStart, root.innerEnd).replace(/\s+$/, '');
  return `${src.slice(0, root.start)}${startTag}${innerTrimmed}\n${added}\n</testsuites>${src.slice(root.end)}`;
}
