import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebappRepo, removeRepositories } from '../support/build.js';
import { ROOT } from '../support/cli.js';
import { removeAppContainers } from '../support/deploy-images.js';
import type { GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';
import { INITIAL_UPSTREAM, nginxArgv } from '../support/switch-world.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { TSX_LOADER } from '../support/test-image.js';

// examples/jenkins/*.sh run as Jenkins runs them — bash, with WORKSPACE (the checkout), GIT_COMMIT
// and the job parameters in the environment, `deployer` on PATH — against the fixture app, the local
// engine and a real nginx: the four jobs, their exit codes, the JUnit file, the preview URL. The
// Jenkinsfile calls these same scripts (checked below), so this tests it too.

const EXAMPLES = join(ROOT, 'examples', 'jenkins');
const T = 240_000;
const app = `jenkins-${process.pid}`;
const delta = `deployer-e2e/${app}`;
let tmp: TmpDir;
let repo: GitRepo;
let lb: Nginx;
let previewPort: number;
let bin: string;
let build = 0;

function config(): string {
  const q = JSON.stringify;
  return [
    `app: ${app}`,
    `images: { full: ${delta}-full, delta: ${delta} }`,
    'build: { context: ., appDir: /app }',
    'changes:',
    '  infra: [Dockerfile, .dockerignore]',
    '  deps: [deps.lock]',
    '  ignore: [README.md]',
    '  depsDir: /app/deps',
    '  depsInstall: mkdir -p /app/deps && cp /app/deps.lock /app/deps/installed.txt',
    'test:',
    '  command: grep -q webapp /app/index.html && test -f /app/deps/installed.txt',
    '  timeoutSeconds: 60',
    'deploy:',
    '  scheduler: docker',
    '  port: 8000',
    '  healthCheck: { path: /, intervalSeconds: 0.25, timeoutSeconds: 2, gracePeriodSeconds: 0 }',
    '  timeoutSeconds: 60',
    `preview: { domain: preview.localhost, listen: "127.0.0.1:${previewPort}" }`,
    'switch:',
    '  upstream: backend',
    `  file: ${lb.prefix}/conf.d/backend.conf`,
    `  previewFile: ${lb.prefix}/conf.d/preview.conf`,
    `  test: ${q(nginxArgv(lb, '-t'))}`,
    `  reload: ${q(nginxArgv(lb, '-s', 'reload'))}`,
    `  verify: { url: "http://127.0.0.1:${lb.port}/", timeoutSeconds: 20 }`,
    `  stateDir: ${join(tmp.path, 'switch-state')}`,
    `state: { dir: ${q(join(tmp.path, 'records'))} }`,
    '',
  ].join('\n');
}

/** One Jenkins build of a job: a fresh environment as Jenkins gives it, nothing inherited but PATH and HOME. */
async function job(script: string, vars: Record<string, string> = {}) {
  build++;
  const r = await execa('bash', [join(EXAMPLES, script)], {
    cwd: repo.dir,
    extendEnv: false,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/root',
      CI: 'true',
      NO_COLOR: '1',
      WORKSPACE: repo.dir,
      JOB_NAME: app,
      BUILD_NUMBER: String(build),
      BUILD_TAG: `jenkins-${app}-${build}`,
      ...vars,
    },
    reject: false,
    timeout: T,
  });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

const served = async () => (await httpGet(`http://127.0.0.1:${lb.port}/`)).headers['x-revision'];
const sha12 = (s: string) => s.slice(0, 12);
const revs: Record<string, string> = {};

beforeAll(async () => {
  tmp = await tmpDir('deployer-jenkins-');
  bin = join(tmp.path, 'bin');
  await execa('mkdir', ['-p', bin]);
  // `deployer` on PATH, as on an agent: this checkout's CLI from source.
  await writeFile(join(bin, 'deployer'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX_LOADER)} ${JSON.stringify(join(ROOT, 'src/cli/bin.ts'))} "$@"\n`);
  await chmod(join(bin, 'deployer'), 0o755);
  previewPort = await freePort();
  lb = await startNginx({
    httpConf: ([port]) => `  include conf.d/backend.conf;
  include conf.d/preview.conf;
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; }
  }
`,
    files: { 'conf.d/backend.conf': INITIAL_UPSTREAM, 'conf.d/preview.conf': '' },
  });
  repo = await makeWebappRepo({ 'deployer.yaml': config() });
  revs.v1 = repo.initialSha;
}, T);

afterAll(async () => {
  await removeAppContainers(app);
  await removeRepositories(`${delta}`, `${delta}-full`);
  await Promise.all([lb?.close(), repo?.close()].map((p) => p?.catch(() => {})));
  await tmp?.cleanup();
}, T);

describe('examples/jenkins against the fixture app', () => {
  it('the Jenkinsfile calls exactly the freestyle scripts', async () => {
    const jenkinsfile = await readFile(join(EXAMPLES, 'Jenkinsfile'), 'utf8');
    const called = [...jenkinsfile.matchAll(/sh 'bash jenkins\/([\w-]+\.sh)'/g)].map((m) => m[1]).sort();
    const scripts = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.sh') && f !== 'common.sh').sort();
    expect(called).toEqual(scripts);
    expect(scripts).toEqual(['delta-build-test.sh', 'deploy.sh', 'full-build.sh', 'switch.sh']);
  });

  it('job 1, periodic full build: builds, then skips while the image is fresh', async () => {
    const r = await job('full-build.sh', { GIT_COMMIT: revs.v1! });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Step 1\/\d+ : FROM deployer-base\/busybox:latest/);
    const again = await job('full-build.sh', { GIT_COMMIT: revs.v1! });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(`${again.stdout}\n${again.stderr}`).not.toMatch(/Step 1\//);
  }, T);

  it('jobs 2-4: delta build + test with a JUnit file, deploy with the preview URL, switch', async () => {
    revs.v2 = await repo.commit('v2', { write: { 'index.html': '<h1>webapp v2</h1>\n' } });
    const built = await job('delta-build-test.sh', { GIT_COMMIT: revs.v2 });
    expect(built.exitCode, built.stderr).toBe(0);
    expect(built.stdout).toContain('tests passed');
    const junit = await readFile(join(repo.dir, 'junit_output.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites?[\s>]/);
    expect(junit).not.toMatch(/<failure/);

    const deployed = await job('deploy.sh', { GIT_COMMIT: revs.v2 });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const url = `http://${sha12(revs.v2)}.preview.localhost:${previewPort}/`;
    expect(deployed.stdout.split('\n')).toContain(`Preview: ${url}`);
    expect((await readFile(join(repo.dir, 'preview-url.txt'), 'utf8')).trim()).toBe(url);
    const preview = await httpGet(`http://127.0.0.1:${previewPort}/`, { headers: { host: `${sha12(revs.v2)}.preview.localhost` } });
    expect(preview.headers['x-revision']).toBe(revs.v2);

    const switched = await job('switch.sh', { ACTION: 'switch', REVISION: revs.v2 });
    expect(switched.exitCode, switched.stderr).toBe(0);
    expect(switched.stdout).toContain(`Live: ${sha12(revs.v2)} (was nothing) on local`);
    expect(await served()).toBe(revs.v2);
  }, T);

  it('job 4 rolls back to what was live before', async () => {
    revs.v3 = await repo.commit('v3', { write: { 'deps.lock': 'deps: 2\n', 'index.html': '<h1>webapp v3</h1>\n' } });
    for (const script of ['delta-build-test.sh', 'deploy.sh']) {
      const r = await job(script, { GIT_COMMIT: revs.v3 });
      expect(r.exitCode, `${script}: ${r.stderr}`).toBe(0);
    }
    const switched = await job('switch.sh', { ACTION: 'switch', REVISION: revs.v3 });
    expect(switched.exitCode, switched.stderr).toBe(0);
    expect(switched.stdout).toContain(`Live: ${sha12(revs.v3)} (was ${sha12(revs.v2!)})`);
    expect(await served()).toBe(revs.v3);

    const back = await job('switch.sh', { ACTION: 'rollback', REVISION: '' });
    expect(back.exitCode, back.stderr).toBe(0);
    expect(back.stdout).toContain(`Live: ${sha12(revs.v2!)} (was ${sha12(revs.v3)})`);
    expect(await served()).toBe(revs.v2);
  }, T);

  it('failing tests: job 2 exits 1 with the JUnit file; switching that revision is refused (exit 4)', async () => {
    revs.v4 = await repo.commit('v4 breaks the tests', { write: { 'index.html': '<h1>nothing here</h1>\n' } });
    const built = await job('delta-build-test.sh', { GIT_COMMIT: revs.v4 });
    expect(built.exitCode).toBe(1);
    expect(built.stdout).toContain('tests FAILED');
    expect(built.stderr).toContain('jenkins: a step failed');
    expect(existsSync(join(repo.dir, 'junit_output.xml'))).toBe(true);
    expect(await readFile(join(repo.dir, 'junit_output.xml'), 'utf8')).toMatch(/<failure|<error/);

    const deployed = await job('deploy.sh', { GIT_COMMIT: revs.v4 });
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const refused = await job('switch.sh', { ACTION: 'switch', REVISION: revs.v4 });
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('jenkins: deployer refused');
    expect(await served()).toBe(revs.v2);
  }, T);

  it('bad parameters: exit 2 with one clear line, nothing run', async () => {
    const r = await job('switch.sh', { ACTION: 'deploy' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe("jenkins: ACTION must be switch or rollback, got 'deploy'");
    const noRev = await job('switch.sh', { ACTION: 'switch' });
    expect(noRev.exitCode).toBe(2);
    expect(noRev.stderr).toContain('REVISION is required for ACTION=switch');
  });
});
