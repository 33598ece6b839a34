import { shortSha } from '../../core/image-ref.js';
import { describeCounts } from '../../core/junit/check.js';
import { testVerdict } from '../../exec/handlers/test.js';
import type { Results } from '../../exec/results.js';
import type { TestImageFacts } from '../../planners/test-image.js';
import type { Report } from '../command.js';

// `deployer test-image`: the verdict, where the JUnit report went and what was recorded. Failed
// tests are the command's finding, not a failed step: the report's verdict makes it exit 1.

export function testImageReport(facts: TestImageFacts, results: Results): Report {
  const v = testVerdict(results);
  if (!v) return { text: 'no result', json: null, verdict: 'failed' };
  const lines = [`test-image ${shortSha(facts.revision)} ${v.passed ? v.headline : `FAILED: ${v.headline}`}`, ...v.details.map((d) => `  ${d}`), `  JUnit report: ${v.junitFile}`];
  if (v.recorded) lines.push(`  recorded ${v.image} (${v.imageId}) as tested${v.digest ? ` in the registry (${facts.registry})` : ''}`);
  return {
    text: lines.join('\n'),
    json: {
      revision: facts.revision,
      image: v.image,
      imageId: v.imageId ?? null,
      digest: v.digest ?? null,
      passed: v.passed,
      headline: v.headline,
      details: v.details,
      summary: describeCounts(v.counts),
      counts: v.counts,
      junit: v.junitFile,
      recorded: v.recorded,
      warnings: v.warnings,
    },
    verdict: v.passed ? 'passed' : 'failed',
  };
}
