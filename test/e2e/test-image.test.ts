// test-image through the CLI, as Jenkins runs it: --plan changes nothing, a run from a git checkout
// resolves the revision and writes ./junit_output.xml, and SIGTERM mid-suite leaves nothing behind.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { buildFixtureImage, CLI_ENTRY, fakeSha, leftovers, removeImages, TSX_LOADER } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { xsdProblems } from '../unit/test-image/xsd.js';

const REPO = 'deployer-e2e-ti/app';
const SHA = fakeSha('e2e-test-image');
const ECHO_SIDECAR = { name: 'echo', image: 'deployer-base/busybox:latest', command: ['nc', '-ll', '-p', '7000', '-e', 'cat'], ready: { tcp: 7000 } };

let work: TmpDir;
let repo: GitRepo;
let headSha: string;

function config(test: Record<string, unknown>) {
  return stringify({
    app: 'fixture',
    images: { full: `${REPO}-full`, delta: REPO },
    build: { appDir: '/app' },
    test: { junit: '/app/junit.xml', timeoutSeconds: 60, ...test },
    deploy: { port: 8000 },
  });
}

beforeAll(async () => {
  work = await tmpDir('ti-e2e-');
  repo = await makeGitRepo({ 'deployer.yaml': config({ command: './t/pass.sh', env: { APP_ENV: 'test' }, smoke: [{ path: '/health', status: 200, body: 'ok' }] }) });
  headSha = repo.initialSha;
  // Labelled as deployer's own builds are: the labels environments are found by.
  await buildFixtureImage(`${REPO}:${SHA}`, { labels: { 'deployer.app': 'fixture', 'deployer.revision': SHA } });
  await execa('docker', ['tag', `${REPO}:${SHA}`, `${REPO}:${headSha}`]);
});

afterAll(async () => {
  await removeImages(`${REPO}:${SHA}`, `${REPO}:${headSha}`);
  await repo?.close();
  await work?.cleanup();
});

const nothingLeft = { containers: [], networks: [] };

describe('deployer test-image (CLI)', () => {
  it('--plan prints the image, the commands, the sidecars and the checks, and starts nothing', async () => {
    const cfg = join(work.path, 'plan.yaml');
    await writeFile(cfg, config({ command: './t/pass.sh', setup: ['./t/setup.sh'], services: [ECHO_SIDECAR], smoke: [{ path: '/health', status: 200, body: 'ok' }] }));
    const r = await runCli(['-c', cfg, '--plan', 'test-image', SHA, '--junit', 'out/report.xml'], { cwd: work.path });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`deployer test-image ${SHA.slice(0, 12)}  (${REPO}:${SHA})`);
    expect(r.stdout).toMatch(/\+ start 1 sidecar \(echo\) on network fixture-test-[0-9a-f]{12}-[0-9a-f]{8}\n +echo: deployer-base\/busybox:latest nc -ll -p 7000 -e cat  ready: tcp 7000/);
    expect(r.stdout).toContain('> setup 1/1: ./t/setup.sh');
    expect(r.stdout).toContain('> run tests: ./t/pass.sh  (in /app, timeout 60s)');
    expect(r.stdout).toContain('> copy /app/junit.xml out of the test container');
    expect(r.stdout).toContain('GET /health → 200, body contains "ok"');
    expect(r.stdout).toContain('~ write JUnit report out/report.xml; on a pass, record');
    expect(r.stdout).toContain('Plan: 7 steps. Nothing has been changed.');
    expect(await leftovers(`deployer.tested-revision=${SHA}`)).toEqual(nothingLeft);
    expect(existsSync(join(work.path, 'out'))).toBe(false);
    expect(existsSync(join(work.path, '.deployer'))).toBe(false);

    const j = await runCli(['-c', cfg, '--plan', '--json', 'test-image', SHA], { cwd: work.path });
    expect(j.exitCode).toBe(0);
    const plan = JSON.parse(j.stdout);
    expect(plan).toMatchObject({ command: 'test-image', facts: { revision: SHA, image: `${REPO}:${SHA}`, pull: false, services: [{ name: 'echo' }], junit: { from: '/app/junit.xml', to: join(work.path, 'junit_output.xml') } } });
  });

  it('refuses an image that does not exist (exit 4) and an unknown revision (exit 2)', async () => {
    const cfg = join(work.path, 'missing.yaml');
    await writeFile(cfg, config({ command: './t/pass.sh' }));
    const missing = await runCli(['-c', cfg, 'test-image', fakeSha('nowhere')], { cwd: work.path });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toMatch(/no image to test for [0-9a-f]{12}: neither deployer-e2e-ti\/app:[0-9a-f]{40} nor deployer-e2e-ti\/app-full:[0-9a-f]{40} is on the Docker engine/);
    expect(missing.stderr).toContain('hint: build it first: deployer delta-build');
    const unknown = await runCli(['-c', join(repo.dir, 'deployer.yaml'), 'test-image', 'no-such-branch'], { cwd: repo.dir });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown revision "no-such-branch"');
  });

  it('from a git checkout: resolves HEAD, writes ./junit_output.xml, exit 0', async () => {
    const r = await runCli(['test-image', 'HEAD'], { cwd: repo.dir });
    expect(r.stderr).toContain('test | ok 1 - compiles');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`test-image ${headSha.slice(0, 12)} passed: 4 tests, 0 failures, 0 errors`);
    const xml = await readFile(join(repo.dir, 'junit_output.xml'), 'utf8');
    expect(await xsdProblems(xml)).toBe('');
    expect(existsSync(join(repo.dir, '.deployer', 'test-records'))).toBe(true);
    expect(await leftovers(`deployer.tested-revision=${headSha}`)).toEqual(nothingLeft);
  });

  it('SIGTERM mid-suite: exit 130 and no container or network of the run is left', async () => {
    const cfg = join(work.path, 'hang.yaml');
    await writeFile(cfg, config({ command: './t/hang.sh', services: [ECHO_SIDECAR], smoke: [{ path: '/', status: 200 }] }));
    const child = execa(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, '-c', cfg, 'test-image', SHA], {
      cwd: work.path,
      env: { CI: 'true', NO_COLOR: '1' },
      reject: false,
      timeout: 120_000,
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('test | started, now hanging')) resolve();
      });
      child.once('exit', () => reject(new Error(`the CLI ended before the suite started:\n${stderr}`)));
    });
    // Mid-suite: the sidecar, its network and the test container all exist now.
    const during = await leftovers(`deployer.tested-revision=${SHA}`);
    expect(during.containers).toHaveLength(2);
    expect(during.networks).toHaveLength(1);
    // ...and none of them passes for an environment of the app (the image's labels are blanked).
    expect((await leftovers('deployer.app=fixture')).containers).toEqual([]);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('SIGTERM received, stopping and cleaning up');
    expect(r.stderr).toContain('interrupted (SIGTERM); cleanup ran');
    expect(await leftovers(`deployer.tested-revision=${SHA}`)).toEqual(nothingLeft);
    expect(existsSync(join(work.path, 'junit_output.xml'))).toBe(false);
  });
});
