// Prints the fault suite's table from the rows test/support/fault-case.ts recorded, and exits
// non-zero when a case failed, lost anything, or none ran.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, out] = process.argv.slice(2);
const rows = readdirSync(dir).filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
const byCategory = new Map();
for (const r of rows) {
  const c = byCategory.get(r.category) ?? { cases: 0, passed: 0, lost: 0 };
  c.cases++;
  if (r.passed) c.passed++;
  if (r.lost) c.lost++;
  byCategory.set(r.category, c);
}
const lines = ['| category | cases | passed | lost anything |', '|---|---:|---:|---:|'];
const total = { cases: 0, passed: 0, lost: 0 };
for (const [name, c] of [...byCategory].sort((a, b) => a[0].localeCompare(b[0]))) {
  lines.push(`| ${name} | ${c.cases} | ${c.passed} | ${c.lost} |`);
  for (const k of Object.keys(total)) total[k] += c[k];
}
lines.push(`| **all** | **${total.cases}** | **${total.passed}** | **${total.lost}** |`);
console.log(lines.join('\n'));
for (const r of rows.filter((r) => !r.passed)) console.log(`FAILED ${r.category} › ${r.name}${r.lost ? ' (lost something)' : ''}${r.problem ? `: ${r.problem}` : ''}`);
if (out) writeFileSync(out, `${JSON.stringify({ total, categories: Object.fromEntries(byCategory), failed: rows.filter((r) => !r.passed) }, null, 2)}\n`);
process.exit(total.cases > 0 && total.passed === total.cases ? 0 : 1);
