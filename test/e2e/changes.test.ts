import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makePerlAppRepo, type GitRepo } from '../support/git-repo.js';

// `deployer changes` on a repository shaped like the reference Perl app, run as Jenkins would.

let repo: GitRepo;
let confDir: string;
let config: string;
const shas: Record<string, string> = {};

beforeAll(async () => {
  repo = await makePerlAppRepo();
  shas.base = repo.initialSha;
  shas.docs = await repo.commit('docs only', { write: { 'README.md': '# changed\n', 'docs/index.md': 'new docs\n' } });
  shas.code = await repo.commit('code', {
    write: { 'lib/WebApp/New.pm': 'package WebApp::New; 1;\n', 'script/run.sh': { content: '#!/bin/sh\n', mode: 0o755 } },
    remove: ['t/00_compile.t'],
    rename: { 'lib/WebApp/Controller.pm': 'lib/WebApp/Handler.pm' },
  });
  shas.mode = await repo.commit('mode only', { write: { 'script/run.sh': { content: '#!/bin/sh\n', mode: 0o644 } } });
  shas.deps = await repo.commit('deps', { write: { cpanfile: "requires 'Plack';\n", 'app.psgi': 'my $app = sub {};\n' } });
  shas.infra = await repo.commit('infra', { write: { 'supervisor/supervisord.conf': '[supervisord]\n' } });
  shas.renameOutOfInfra = await repo.commit('move config out of infra', { rename: { 'supervisor/supervisord.conf': 'etc/supervisord.conf' } });
  confDir = await mkdtemp(join(tmpdir(), 'deployer-changes-'));
  config = join(confDir, 'deployer.yaml');
  await writeFile(config, [
    'app: web-app',
    'images: { full: web-app-from-scratch, delta: web-app }',
    `build: { context: ${JSON.stringify(repo.dir)}, appDir: /opt/Web-App/current }`,
    'changes:',
    '  infra: [Dockerfile, supervisor/**]',
    '  deps: [cpanfile, cpanfile.snapshot]',
    '  ignore: [README.md, docs/**]',
  ].join('\n'));
});

afterAll(async () => {
  await repo?.close();
  if (confDir) await rm(confDir, { recursive: true, force: true });
});

async function changes(from: string, to: string) {
  const r = await runCli(['--config', config, 'changes', from, to, '--json'], { cwd: confDir });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as { from: string; to: string; class: string; files: { path: string; status: string; class: string; oldPath?: string }[] };
}

describe('deployer changes', () => {
  it('classifies ignored paths as none', async () => {
    const out = await changes(shas.base!, shas.docs!);
    expect(out).toMatchObject({ from: shas.base, to: shas.docs, class: 'none' });
    expect(out.files).toEqual([
      { path: 'README.md', status: 'modified', class: 'none' },
      { path: 'docs/index.md', status: 'modified', class: 'none' },
    ]);
  });

  it('lists additions, deletions and renames as code', async () => {
    const out = await changes(shas.docs!, shas.code!);
    expect(out.class).toBe('code');
    expect(out.files).toEqual(expect.arrayContaining([
      { path: 'lib/WebApp/New.pm', status: 'added', class: 'code' },
      { path: 'script/run.sh', status: 'added', class: 'code' },
      { path: 't/00_compile.t', status: 'deleted', class: 'code' },
      { path: 'lib/WebApp/Handler.pm', oldPath: 'lib/WebApp/Controller.pm', status: 'renamed', class: 'code' },
    ]));
    expect(out.files).toHaveLength(4);
  });

  it('counts a mode-only change', async () => {
    const out = await changes(shas.code!, shas.mode!);
    expect(out.files).toEqual([{ path: 'script/run.sh', status: 'modified', class: 'code' }]);
  });

  it('lets deps win over code, and infra over everything', async () => {
    expect((await changes(shas.mode!, shas.deps!)).class).toBe('deps');
    expect((await changes(shas.base!, shas.infra!)).class).toBe('infra');
  });

  it('counts a rename out of an infra directory as infra (old and new path both count)', async () => {
    const out = await changes(shas.infra!, shas.renameOutOfInfra!);
    expect(out.files).toEqual([{ path: 'etc/supervisord.conf', oldPath: 'supervisor/supervisord.conf', status: 'renamed', class: 'infra' }]);
    expect(out.class).toBe('infra');
  });

  it('defaults <to> to HEAD and prints a readable list without --json', async () => {
    const r = await runCli(['--config', config, 'changes', shas.deps!], { cwd: confDir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('infra');
    // Across two commits the file was rewritten, then moved: git sees a delete and an add.
    expect(r.stdout).toMatch(/infra\s+deleted\s+supervisor\/supervisord\.conf/);
    expect(r.stdout).toMatch(/code\s+added\s+etc\/supervisord\.conf/);
  });

  it('shows the classification as facts of a plan with no steps', async () => {
    const r = await runCli(['--config', config, '--plan', '--json', 'changes', shas.base!, shas.docs!], { cwd: confDir });
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ version: 1, command: 'changes', steps: [], facts: { class: 'none' } });
  });

  it.each([['no-such-branch'], ['--output=/tmp/x'], ['0123456789abcdef0123456789abcdef01234567']])(
    'refuses the unknown or invalid revision %s with exit 2 and no stack trace',
    async (rev) => {
      const r = await runCli(['--config', config, 'changes', '--', rev], { cwd: confDir });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/(unknown|invalid) revision/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );
});
