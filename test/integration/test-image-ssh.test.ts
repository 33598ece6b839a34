// test-image with `exec.via: ssh`, as the seed ran its tests: the image runs sshd as its own command,
// deployer logs in on the published port with the container's host key pinned (read through the
// Docker API), runs the suite, copies the report out, and removes the container on every path.
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { buildFixtureImage, buildSshFixtureImage, fakeSha, leftovers, removeImages } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { xsdProblems } from '../unit/test-image/xsd.js';

const REPO = 'deployer-it-ti-ssh/app';
const SHA = fakeSha('integration-ssh');
let work: TmpDir;

beforeAll(async () => {
  work = await tmpDir('ti-ssh-');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work.path, 'client')]);
  await buildFixtureImage(`${REPO}:base`);
  await buildSshFixtureImage(`${REPO}:${SHA}`, `${REPO}:base`, await readFile(join(work.path, 'client.pub'), 'utf8'), work.path);
});

afterAll(async () => {
  await removeImages(`${REPO}:${SHA}`, `${REPO}:base`);
  await work?.cleanup();
});

afterEach(async () => {
  expect(await leftovers(`deployer.tested-revision=${SHA}`)).toEqual({ containers: [], networks: [] });
});

async function run(name: string, test: Record<string, unknown>, keyFile = join(work.path, 'client')) {
  const cfg = join(work.path, `${name}.yaml`);
  await writeFile(cfg, stringify({
    app: 'fixture',
    images: { full: `${REPO}-full`, delta: REPO },
    build: { appDir: '/app' },
    exec: { via: 'ssh', ssh: { keyFile } },
    test: { junit: '/app/junit.xml', timeoutSeconds: 30, ...test },
  }));
  const junit = join(work.path, `${name}.xml`);
  const r = await runCli(['-c', cfg, 'test-image', SHA, '--junit', junit], { cwd: work.path });
  return { ...r, xml: await readFile(junit, 'utf8').catch(() => undefined) };
}

describe('deployer test-image over ssh', () => {
  it('runs the suite over ssh with env and working directory, and copies its report out', async () => {
    const r = await run('pass', { command: './t/pass.sh', env: { APP_ENV: 'test' } });
    expect(r.stderr).toMatch(/logged in to the test container over ssh \(root@127\.0\.0\.1:\d+, host key pinned\)/);
    expect(r.stderr).toContain('test | ok 3 - env APP_ENV=test in /app');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('passed: 3 tests, 0 failures, 0 errors');
    expect(await xsdProblems(r.xml!)).toBe('');
  });

  it('kills a hung suite at the timeout', async () => {
    const r = await run('hang', { command: './t/hang.sh', timeoutSeconds: 2 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('FAILED: the test suite timed out after 2s');
    expect(await xsdProblems(r.xml!)).toBe('');
  });

  it('refuses a client key the config names but that does not exist (exit 4), with a report', async () => {
    const r = await run('nokey', { command: './t/pass.sh' }, join(work.path, 'missing-key'));
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(`the SSH identity file ${join(work.path, 'missing-key')} does not exist`);
    expect(r.stderr).toContain('hint: set exec.ssh.keyFile in deployer.yaml');
    expect(r.xml).toContain('<testcase name="deployer: start the test container"');
  });
});
