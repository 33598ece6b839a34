// `npm run bench`: every benchmark section in turn (build, changes, deploy, switch, startup), each
// its own script in a child process so one section's heap and handles never weigh on the next; each
// adds its rows to bench/results.json, and the table printed at the end is read back from there.
// The CLI is rebuilt first: the sections time bin/deployer as users run it.
// Options: --quick (small sizes, few runs: for checking the scripts, not for numbers),
// --only build,changes (a subset), --no-swarm (the deploy section on the docker scheduler only).
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { fmt, ROOT, type Row } from './lib/measure.js';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',')) : undefined;

const SECTIONS: { name: string; script: string; full: string[]; quick: string[] }[] = [
  { name: 'build', script: 'bench/build.ts', full: ['--files', '20000', '--mb', '200', '--runs', '5', '--full-runs', '3'], quick: ['--files', '600', '--mb', '6', '--runs', '1', '--full-runs', '1'] },
  { name: 'changes', script: 'bench/changes.ts', full: ['--files', '100000', '--changed', '10000', '--runs', '5'], quick: ['--files', '5000', '--changed', '500', '--runs', '1'] },
  { name: 'deploy', script: 'bench/deploy.ts', full: ['--runs', '5', '--instances', '10'], quick: ['--runs', '1', '--instances', '3'] },
  { name: 'switch methods', script: 'bench/switch-methods.ts', full: ['--switches', '20'], quick: ['--switches', '3', '--fresh', '4', '--keepalive', '2', '--pause-ms', '200'] },
  { name: 'startup', script: 'bench/startup.ts', full: ['--runs', '15'], quick: ['--runs', '3'] },
];

type Stored = Record<string, { measuredAt: string; rows: Row[] }>;

async function main(): Promise<void> {
  await execa('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const extra = process.argv.includes('--no-swarm') ? ['--no-swarm'] : [];
  const ran: string[] = [];
  const failed: string[] = [];
  for (const s of SECTIONS) {
    if (only && !only.has(s.name.split(' ')[0]!)) continue;
    process.stderr.write(`\n== ${s.name} (${s.script})\n`);
    const args = [...(quick ? s.quick : s.full), ...(s.name === 'deploy' ? extra : [])];
    const r = await execa(`${ROOT}node_modules/.bin/tsx`, [s.script, ...args], { cwd: ROOT, stdio: 'inherit', reject: false });
    if (r.exitCode === 0) ran.push(s.name);
    else failed.push(`${s.name} (exit ${r.exitCode})`);
  }
  const all = JSON.parse(await readFile(`${ROOT}bench/results.json`, 'utf8')) as Stored;
  console.log(`\n${'='.repeat(100)}\nnpm run bench${quick ? ' --quick (small sizes: not the headline numbers)' : ''}\n`);
  for (const name of ran) {
    const sec = all[name];
    if (!sec) continue;
    console.log(`${name}  (${sec.measuredAt})`);
    for (const row of sec.rows) console.log(`  ${row.what.padEnd(58)} ${fmt(row).padStart(12)}${row.note ? `   ${row.note}` : ''}`);
  }
  if (failed.length) {
    console.log(`\nfailed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
