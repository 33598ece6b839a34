// `npm run demo` promises to remove everything it made. Run it (against a private build of the
// CLI, so dist/ is never rewritten under other test files) and look for what it made: containers
// (environments by label; build and test containers by name), images of both repositories,
// networks, its temp dir and its nginx.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateBuild, ROOT } from '../support/cli.js';

const T = 600_000;
let build: Awaited<ReturnType<typeof privateBuild>>;

const lines = (s: string) => s.split('\n').filter(Boolean);
const docker = async (args: string[]) => lines((await execa('docker', args)).stdout);

/** Processes whose command line mentions `text` (the demo's nginx runs with its temp dir as prefix). */
function processesMentioning(text: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(text)) out.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function leftovers(app: string, work: string) {
  return {
    containers: [...await docker(['ps', '-aq', '--filter', `label=deployer.app=${app}`]), ...await docker(['ps', '-a', '--filter', `name=${app}`, '--format', '{{.Names}}'])],
    images: [...await docker(['images', '-a', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=deployer-demo/${app}`]), ...await docker(['images', '-a', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=deployer-demo/${app}-full`]),
      ...await docker(['images', '-a', '--format', '{{.ID}}', '--filter', `label=deployer.app=${app}`])],
    networks: await docker(['network', 'ls', '--filter', `name=${app}`, '--format', '{{.Name}}']),
    tempDir: existsSync(work),
    processes: processesMentioning(work),
  };
}

beforeAll(async () => {
  build = await privateBuild('demo');
}, T);

afterAll(async () => {
  await build?.remove();
}, T);

describe('npm run demo', () => {
  it('runs the whole flow and leaves nothing it made behind', async () => {
    const r = await execa('bash', [join(ROOT, 'scripts/demo.sh')], { cwd: ROOT, env: { DEPLOYER_DEMO_BIN: build.bin, CI: 'true', NO_COLOR: '1' }, reject: false, timeout: T });
    const made = /^demo: app (\S+), working in (\S+)$/m.exec(r.stdout);
    expect(made, r.stdout).not.toBeNull();
    const [, app, work] = made!;
    const left = await leftovers(app!, work!);
    expect(r.exitCode, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`).toBe(0);
    expect(r.stdout).toMatch(/demo: done/);
    // It made both repositories (so the check below is not vacuous).
    expect(r.stdout).toContain(`deployer-demo/${app}-full:`);
    expect(r.stdout).toMatch(new RegExp(`deployer-demo/${app}:[0-9a-f]{40}`));
    expect(left).toEqual({ containers: [], images: [], networks: [], tempDir: false, processes: [] });
  }, T);
});
