import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deployer-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SUBCOMMANDS = ['full-build', 'delta-build', 'verify', 'test-image', 'deploy', 'destroy', 'gc', 'switch', 'rollback', 'status', 'history', 'changes', 'lock'];

describe('deployer CLI', () => {
  it('lists every subcommand and the exit codes in --help', async () => {
    const r = await runCli(['--help'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    for (const c of SUBCOMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*3\s+lock held/);
  });

  it.each(SUBCOMMANDS)('%s --help works', async (c) => {
    const r = await runCli([c, '--help'], { cwd: dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^Usage: deployer /m);
  });

  it('treats an unknown command or option as a usage error (exit 2)', async () => {
    expect((await runCli(['bogus'], { cwd: dir })).exitCode).toBe(2);
    const r = await runCli(['changes', 'a', '--frobnicate'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('reports a missing config file with a hint and exit 2', async () => {
    const r = await runCli(['changes', 'HEAD'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('deployer.yaml has 1 problem');
    expect(r.stderr).toContain('(file): does not exist');
    expect(r.stderr).toMatch(/hint: .*--config/);
  });

  it.each([
    ['malformed YAML', 'app: web-app\nimages: { full: a\n', [/line \d+, column \d+/]],
    ['a missing required key', 'app: web-app\nbuild: { appDir: /app }\n', [/images: is required/]],
    ['a wrong type', 'app: web-app\nimages: { full: a, delta: b }\nbuild: { appDir: /app }\ndeploy: { port: "eighty" }\n', [/deploy\/port: should be a number, got "eighty"/]],
    ['an unknown top-level key', 'app: web-app\nimages: { full: a, delta: b }\nbuild: { appDir: /app }\nswtich: {}\n', [/swtich: is not a known key/]],
    ['several problems at once', 'app: 3\nimages: { full: a }\nbuild: {}\nextra: 1\n', [/app: should be a string/, /images\/delta: is required/, /build\/appDir: is required/, /extra: is not a known key/]],
  ] as const)('refuses %s with exit 2, every problem listed, no stack trace', async (_what, yaml, expected) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    const r = await runCli(['--config', file, 'changes', 'HEAD'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    for (const re of expected) expect(r.stderr).toMatch(re);
    expect(r.stderr).toMatch(/has \d+ problems?/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('prints config problems as JSON with --json', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'app: web-app\n');
    const r = await runCli(['--config', file, '--json', 'changes', 'HEAD'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'config.invalid', exitCode: 2, details: expect.arrayContaining(['images: is required']) } });
  });
});
