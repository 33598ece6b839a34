import { describe, expect, it } from 'vitest';
import { checkJunit, isSurefireTime } from '../../../src/core/junit/check.js';
import { escapeAttr, escapeText, xmlSafe } from '../../../src/core/junit/escape.js';
import { mergeReport, renderReport, type SuiteResult } from '../../../src/core/junit/report.js';
import { parseXml } from '../../../src/core/junit/xml.js';
import { xsdProblems } from './xsd.js';

// What TAP::Harness::JUnit (the seed's `prove --harness TAP::Harness::JUnit`) writes, abridged.
const TAP_JUNIT = `<?xml version='1.0' encoding='utf-8'?>
<testsuites>
  <testsuite errors="0" failures="1" name="t_00_compile_t" tests="2" time="0.05">
    <testcase name="1 - use WebApp;" time="0.01"></testcase>
    <testcase name="2 - use WebApp::Controller;" time="0.01">
      <failure message="not ok 2 - use WebApp::Controller;" type="TestFailed"><![CDATA[#   Failed test]]></failure>
    </testcase>
    <system-out><![CDATA[ok 1
not ok 2
]]></system-out>
    <system-err></system-err>
  </testsuite>
  <testsuite errors="0" failures="0" name="t_01_app_t" tests="1" time="0.02">
    <testcase name="1 - GET /" time="0.02"/>
    <testcase name="2 - skipped" time="0"><skipped message="no network"/></testcase>
  </testsuite>
</testsuites>
`;

const smoke: SuiteResult = {
  name: 'smoke',
  timestamp: '2024-05-01T12:00:00',
  cases: [
    { name: 'GET /health → 200', classname: 'smoke', seconds: 0.0123, outcome: 'passed' },
    { name: 'GET / → 200, body contains "hi"', classname: 'smoke', seconds: 0.5, outcome: 'failed', message: 'expected status 200, got 500', detail: 'HTTP 500\nx-revision: abc\n\n<h1>oops</h1> & more' },
  ],
};

describe('escaping', () => {
  it('escapes markup and drops what XML 1.0 cannot carry', () => {
    expect(escapeText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(escapeAttr('say "hi"\nnext\tline')).toBe('say &quot;hi&quot;&#10;next&#9;line');
    expect(xmlSafe('\u001b[32mok\u001b[0m bell\u0007 nul\u0000 \uD800 end')).toBe('ok bell\uFFFD nul\uFFFD \uFFFD end');
    expect(xmlSafe('emoji 😀 and 日本')).toBe('emoji 😀 and 日本');
  });
});

describe('checkJunit', () => {
  it('accepts a TAP::Harness::JUnit report and counts by testcase', () => {
    const r = checkJunit(TAP_JUNIT);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.summary).toMatchObject({ tests: 4, failures: 1, errors: 0, skipped: 1, suites: 2 });
    expect(r.summary.notPassed).toEqual([
      { suite: 't_00_compile_t', name: '2 - use WebApp::Controller;', outcome: 'failed', message: 'not ok 2 - use WebApp::Controller;' },
      { suite: 't_01_app_t', name: '2 - skipped', outcome: 'skipped', message: 'no network' },
    ]);
    // The second suite says tests="1" but has 2 testcases: worth a warning, not a failure.
    expect(r.warnings).toEqual([expect.stringMatching(/line 13: testsuite "t_01_app_t" declares tests="1" but has 2 testcase/)]);
  });

  it('accepts a single <testsuite> root and nested suites', async () => {
    const src = '<testsuite name="a" tests="2" failures="0" errors="1"><testsuite name="b" tests="1" failures="0" errors="1"><testcase name="x"><error message="boom">trace</error></testcase></testsuite><testcase name="y" classname="k"/></testsuite>';
    const r = checkJunit(src);
    expect(r.ok && r.summary).toMatchObject({ tests: 2, errors: 1, failures: 0, suites: 2, notPassed: [{ suite: 'b', name: 'x', outcome: 'error', message: 'boom' }] });
    expect(await xsdProblems(src)).toBe('');
  });

  it.each([
    ['<html/>', /root element is <html>/],
    ['<testsuites><testsuite name="a"/></testsuites>', /<testsuite> needs the attribute tests/],
    ['<testsuite name="a" tests="1" failures="0" errors="0"><testcase/></testsuite>', /<testcase> needs the attribute name/],
    ['<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x" file="t.py"/></testsuite>', /attribute the schema does not allow: file/],
    ['<testsuite name="a" tests="1" failures="0" errors="0"><case name="x"/></testsuite>', /<case> is not allowed inside <testsuite>/],
    ['<testsuite name="a" tests="0" failures="0" errors="0" time="1e-3"/>', /time="1e-3" is not a time/],
    ['<testsuite name="a" tests="0" failures="0" errors="0">stray</testsuite>', /may not contain text/],
    ['<testsuite name="a" tests="1" failures="1" errors="0"><testcase name="x"><failure><b/></failure></testcase></testsuite>', /<b> is not allowed inside <failure>/],
    ['<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x"><rerunFailure type="t"><system-err/><stackTrace/></rerunFailure></testcase></testsuite>', /in that order/],
    ['<testsuites><testsuite name="a" tests="1" failures="0" errors="0">', /not well-formed XML: line 1, column \d+: unclosed element/],
  ])('rejects what the schema rejects: %s', async (src, message) => {
    const r = checkJunit(src);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.join('\n')).toMatch(message);
    // The same files fail the real schema (or are not XML at all).
    expect(await xsdProblems(src)).not.toBe('');
  });

  it('allows xmlns and xsi attributes', () => {
    expect(checkJunit('<testsuites xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="junit.xsd"/>').ok).toBe(true);
  });

  it('checks SUREFIRE_TIME like the schema pattern', () => {
    for (const ok of ['', '0', '1.5', '.5', '12345.678', '1,234.5', '1,234,567']) expect(isSurefireTime(ok)).toBe(true);
    for (const bad of ['-1', '1e3', 'abc', '1.2.3', '12,34']) expect(isSurefireTime(bad)).toBe(false);
    expect(isSurefireTime(`${'1'.repeat(50)},${'2'.repeat(30)}x`)).toBe(false); // no catastrophic backtracking
  });
});

describe('deployer reports', () => {
  it('renders a report the schema accepts, with right counts', async () => {
    const xml = renderReport('deployer test-image abc', [
      { name: 'test-image', properties: { revision: 'abc', image: 'web:abc' }, cases: [{ name: './t.sh', classname: 'test-image', seconds: 3.25, outcome: 'failed', message: 'exited with status 1', output: 'line 1\n\u001b[31mred\u001b[0m <tag> & "q"\n' }] },
      smoke,
    ]);
    expect(await xsdProblems(xml)).toBe('');
    const r = checkJunit(xml);
    expect(r.ok && r.summary).toMatchObject({ tests: 3, failures: 2, errors: 0, suites: 2 });
    expect(r.ok && r.warnings).toEqual([]);
    expect(xml).toContain('<testsuites name="deployer test-image abc" tests="3" failures="2" errors="0" time="3.762">');
    expect(xml).toContain('<testsuite name="smoke" tests="2" failures="1" errors="0" skipped="0" time="0.512" timestamp="2024-05-01T12:00:00">');
    expect(xml).toContain('<system-out>line 1\nred &lt;tag&gt; &amp; "q"\n</system-out>');
    expect(xml).toContain('<failure type="failure" message="expected status 200, got 500">HTTP 500\nx-revision: abc\n\n&lt;h1&gt;oops&lt;/h1&gt; &amp; more</failure>');
  });

  it('merges into a <testsuites> report, keeping its bytes and raising its stated totals', async () => {
    const src = TAP_JUNIT.replace('<testsuites>', '<testsuites name="prove" tests="4" failures="1" errors="0">');
    const merged = mergeReport(src, parseXml(src), [smoke]);
    expect(merged.startsWith(src.slice(0, src.indexOf('<testsuites')))).toBe(true);
    expect(merged).toContain('<testsuites name="prove" tests="6" failures="2" errors="0">');
    expect(merged).toContain(src.slice(src.indexOf('<testsuite '), src.indexOf('</testsuites>')).trimEnd());
    expect(await xsdProblems(merged)).toBe('');
    const r = checkJunit(merged);
    expect(r.ok && r.summary).toMatchObject({ tests: 6, failures: 2, skipped: 1, suites: 3 });
  });

  it('wraps a single <testsuite> report, and handles an empty <testsuites/>', async () => {
    const single = '<?xml version="1.0"?>\n<testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x"/></testsuite>\n';
    const merged = mergeReport(single, parseXml(single), [smoke]);
    expect(merged).toMatch(/^<\?xml version="1.0"\?>\n<testsuites>\n<testsuite name="a"/);
    expect(await xsdProblems(merged)).toBe('');
    expect(checkJunit(merged)).toMatchObject({ ok: true, summary: { tests: 3, failures: 1, suites: 2 } });

    const empty = '<testsuites name="x>y"/>';
    const m2 = mergeReport(empty, parseXml(empty), [smoke]);
    expect(m2.startsWith('<testsuites name="x&gt;y">\n  <testsuite name="smoke"')).toBe(true);
    expect(await xsdProblems(m2)).toBe('');
  });

  it('passes a report on untouched when there is nothing to add', () => {
    expect(mergeReport(TAP_JUNIT, parseXml(TAP_JUNIT), [])).toBe(TAP_JUNIT);
  });
});
