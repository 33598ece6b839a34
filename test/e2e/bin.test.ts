import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

// The installed entry point, as `npm ci` leaves it: `prepare` builds dist/, bin/deployer loads it and
// `npx deployer` finds it from the repository root. (Other e2e tests run the sources through tsx.)
beforeAll(async () => {
  await execa('npm', ['run', '--silent', 'build'], { cwd: ROOT });
}, 180_000);

describe('bin/deployer (built)', () => {
  it('runs through npx from the repository root', async () => {
    const r = await execa('npx', ['--no-install', 'deployer', '--help'], { cwd: ROOT, reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  delta-build /m);
  });

  it('passes the exit code through (usage error → 2)', async () => {
    const r = await execa('node', ['bin/deployer', '--config', '/nonexistent/deployer.yaml', 'status'], { cwd: ROOT, reject: false, env: { CI: 'true' } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('(file): does not exist');
  });

  it('a reader that closes the pipe early (`deployer --help | head -1`) is no crash', async () => {
    const r = await execa('bash', ['-c', 'set -o pipefail; node bin/deployer --help | head -c 1 >/dev/null'], { cwd: ROOT, reject: false, env: { CI: 'true' } });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.exitCode).toBe(0);
  });
});
