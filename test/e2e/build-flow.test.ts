// The acceptance flow of issue 3 through the CLI, on the real engine and a real registry:
// full-build → code change → delta-build → the delta serves the new content, has one more layer,
// keeps Cmd/Env/ExposedPorts; deleted, renamed, ignored files handled; deps change reruns the
// install; infra change runs a full build; verify passes on each and fails on a tampered image;
// --plan changes nothing.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { containersNamed, imageInspect, localTags, makeWebappRepo, registryTags, removeRepositories, runIn, uniqueName, WEBAPP, writeBuildConfig } from '../support/build.js';
import type { GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const T = 180_000;
let reg: Registry;
let repo: GitRepo;
let work: TmpDir;
let dockerConfig: TmpDir;
const app = uniqueName('flow');
const fullPath = `deployer-test/${app}-full`;
const deltaPath = `deployer-test/${app}`;
let full: string;
let delta: string;
const shas: Record<string, string> = {};

const cli = (args: string[]) => runCli(args, { cwd: work.path, env: { DOCKER_CONFIG: dockerConfig.path }, timeoutMs: T });

async function serve(image: string): Promise<string> {
  const name = `${app}-serve-${Math.random().toString(36).slice(2, 6)}`;
  await execa('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::8000', image]);
  try {
    const port = (await execa('docker', ['port', name, '8000/tcp'])).stdout.split('\n')[0]!.split(':').pop();
    return await waitFor(async () => (await httpGet(`http://127.0.0.1:${port}/`, { timeoutMs: 2000 })).body, { what: `${image} to serve /`, timeoutMs: 15_000, intervalMs: 200 });
  } finally {
    await execa('docker', ['rm', '-f', name], { reject: false });
  }
}

beforeAll(async () => {
  reg = await startRegistry();
  work = await tmpDir('deployer-build-flow-');
  dockerConfig = await tmpDir('deployer-build-dockercfg-');
  repo = await makeWebappRepo();
  full = `${reg.host}/${fullPath}`;
  delta = `${reg.host}/${deltaPath}`;
  await writeBuildConfig(work.path, repo.dir, { app, full: fullPath, delta: deltaPath, registry: reg.host });
}, T);

afterAll(async () => {
  await removeRepositories(full, delta);
  await Promise.all([reg?.close(), repo?.close(), work?.cleanup(), dockerConfig?.cleanup()]);
}, T);

describe('full-build → delta-build → verify, through the CLI', () => {
  it('full-build --plan names the image and changes nothing', async () => {
    const r = await cli(['--plan', 'full-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`build ${full}:${repo.initialSha} from git ${repo.initialSha.slice(0, 12)} (Dockerfile)`);
    expect(r.stdout).toContain(`push ${full}:latest`);
    expect(r.stdout).toMatch(/Nothing has been changed/);
    expect(await localTags(full)).toEqual([]);
    expect(await registryTags(reg.url, fullPath)).toEqual([]);
  }, T);

  it('full-build builds from git, pushes :sha and :latest', async () => {
    const r = await cli(['full-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/build \| Step 1\/\d+ : FROM deployer-base\/busybox:latest/);
    expect(r.stderr).toMatch(/deps installed from deps.lock/);
    expect((await localTags(full)).sort()).toEqual([`${full}:${repo.initialSha}`, `${full}:latest`].sort());
    expect(await registryTags(reg.url, fullPath)).toEqual([repo.initialSha, 'latest'].sort());
    const img = await imageInspect(`${full}:latest`);
    expect(img.Config.Labels).toMatchObject({ 'deployer.revision': repo.initialSha, 'deployer.kind': 'full', 'deployer.app': app });
    expect(img.Config.Labels['deployer.built-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // git-tracked content only, minus .dockerignore
    expect((await runIn(`${full}:latest`, ['ls', '/app/notes'])).exitCode).not.toBe(0);
    expect((await runIn(`${full}:latest`, ['cat', '/app/index.html'])).stdout).toContain('webapp v1');
    expect(await serve(`${full}:latest`)).toContain('webapp v1');
  }, T);

  it('full-build --if-older-than skips a young image', async () => {
    const r = await cli(['full-build', '--if-older-than', '24h']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/was built \d+s ago, less than 1d \(--if-older-than\): nothing to do/);
  }, T);

  it('delta-build --plan of a code change names base, class and files, and changes nothing', async () => {
    shas.code = await repo.commit('code change', {
      write: { 'index.html': '<h1>webapp v2</h1>\n', 'bin/tool.sh': { content: '#!/bin/sh\necho tool\n', mode: 0o755 }, 'notes/new.md': 'ignored\n', 'docs/guide.md': 'guide\n' },
      rename: { 'lib/util.txt': 'lib/tools/util.txt' },
      remove: ['current.html'],
    });
    const r = await cli(['--plan', 'delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`delta-build ${shas.code.slice(0, 12)}  (base: ${repo.initialSha.slice(0, 12)}, class: code)`);
    for (const line of ['- /app/current.html', '- /app/lib/util.txt', '+ /app/index.html', '+ /app/lib/tools/util.txt', '+ /app/bin/tool.sh', '+ /app/docs/guide.md']) {
      expect(r.stdout).toContain(line);
    }
    expect(r.stdout).not.toContain('notes/new.md');
    expect(r.stdout).toContain(`commit deployer-build-${app}-${shas.code.slice(0, 12)} as ${delta}:${shas.code}`);
    expect(await localTags(delta)).toEqual([]);
    expect(await containersNamed(`deployer-build-${app}`)).toEqual([]);
  }, T);

  it('delta-build applies it: new content served, one more layer, config kept, deleted/renamed/ignored right', async () => {
    const r = await cli(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    const ref = `${delta}:${shas.code}`;
    expect(await registryTags(reg.url, deltaPath)).toEqual([shas.code]);
    const base = await imageInspect(`${full}:latest`);
    const img = await imageInspect(ref);
    expect(img.RootFS.Layers.length).toBe(base.RootFS.Layers.length + 1);
    for (const k of ['Cmd', 'Entrypoint', 'Env', 'ExposedPorts', 'WorkingDir', 'User']) expect(img.Config[k], k).toEqual(base.Config[k]);
    expect(img.Config.Labels).toMatchObject({
      'deployer.revision': shas.code,
      'deployer.kind': 'delta',
      'deployer.base-revision': repo.initialSha,
      'deployer.change-class': 'code',
      'deployer.base-image': base.Id,
    });
    expect(await serve(ref)).toContain('webapp v2');
    const ls = (p: string) => runIn(ref, ['ls', '-l', p]);
    expect((await ls('/app/current.html')).exitCode).not.toBe(0);
    expect((await ls('/app/lib/util.txt')).exitCode).not.toBe(0);
    expect((await ls('/app/lib/tools/util.txt')).exitCode).toBe(0);
    expect((await ls('/app/notes/new.md')).exitCode).not.toBe(0);
    expect((await ls('/app/bin/tool.sh')).stdout).toMatch(/^-rwxr-xr-x|^-rwxrwxr-x/);
    // The build container never ran the app: its start-up pid file is not in the image.
    expect((await ls('/app/app.pid')).exitCode).not.toBe(0);
    expect(await containersNamed(`deployer-build-${app}`)).toEqual([]);
  }, T);

  it('delta-build again is a no-op; verify passes', async () => {
    const again = await cli(['delta-build']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already exists, built on .*nothing to do/);
    const v = await cli(['verify', shas.code!]);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
    expect(v.stdout).toMatch(/^equal: .* have the same file system \(\d+ paths compared\)/m);
  }, T);

  it('a deps change reruns the install inside the delta; verify passes', async () => {
    shas.deps = await repo.commit('deps change', { write: { 'deps.lock': '# deps\ngreeting 1.0.0\nextra 2.0.0\n' } });
    const r = await cli(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/deps \| deps installed from deps.lock/);
    const ref = `${delta}:${shas.deps}`;
    expect((await runIn(ref, ['cat', '/app/deps/installed.txt'])).stdout).toContain('extra 2.0.0');
    expect((await imageInspect(ref)).Config.Labels['deployer.change-class']).toBe('deps');
    const v = await cli(['verify', shas.deps]);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
  }, T);

  it('an infra change runs a full build instead (and says so); verify passes', async () => {
    shas.infra = await repo.commit('infra change', { write: { Dockerfile: (await repo.git(['show', 'HEAD:Dockerfile'])).replace('ENV APP_ENV=production', 'ENV APP_ENV=production FEATURE=on') } });
    const refused = await cli(['delta-build', '--on-infra', 'fail']);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(/delta-build cannot apply infra changes \(Dockerfile\)/);
    expect(refused.stderr).toMatch(/hint: run `deployer full-build`/);
    const r = await cli(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/infra change \(Dockerfile\): a delta cannot apply it, so this runs a full build instead/);
    const ref = `${delta}:${shas.infra}`;
    expect((await imageInspect(ref)).Id).toBe((await imageInspect(`${full}:${shas.infra}`)).Id);
    expect((await imageInspect(`${full}:latest`)).Config.Labels['deployer.revision']).toBe(shas.infra);
    expect((await imageInspect(ref)).Config.Env).toContain('FEATURE=on');
    expect(await registryTags(reg.url, fullPath)).toEqual([repo.initialSha, shas.infra, 'latest'].sort());
    const v = await cli(['verify', shas.infra]);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
  }, T);

  it('what a full build accepts a delta applies too: symlinks climbing out of appDir and above /, a file named :(glob)x; verify passes', async () => {
    shas.links = await repo.commit('odd paths', {
      write: { 'links/climb': { symlink: '../../../../../../etc/passwd' }, 'links/out': { symlink: '../../outside' }, ':(glob)x': 'glob\n' },
    });
    const r = await cli(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await imageInspect(`${delta}:${shas.links}`)).Config.Labels['deployer.change-class']).toBe('code');
    const ref = `${delta}:${shas.links}`;
    expect((await runIn(ref, ['readlink', '/app/links/climb'])).stdout).toBe('../../../../../../etc/passwd');
    expect((await runIn(ref, ['readlink', '/app/links/out'])).stdout).toBe('../../outside');
    expect((await runIn(ref, ['cat', '/app/:(glob)x'])).stdout).toBe('glob');
    const v = await cli(['verify', shas.links]);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
  }, T);

  it('verify fails (exit 1) and names the difference when the delta image was tampered with', async () => {
    const ref = `${delta}:${shas.code}`;
    const name = `${app}-tamper`;
    await execa('docker', ['create', '--name', name, '--entrypoint', 'sh', ref, '-c', 'echo "<h1>webapp v9</h1>" > /app/index.html; chmod 600 /app/lib/tools/util.txt; echo x > /app/extra.txt']);
    try {
      await execa('docker', ['start', '-a', name]);
      await execa('docker', ['commit', '--change', 'ENTRYPOINT []', '--change', 'CMD ["/app/run.sh"]', name, ref]);
    } finally {
      await execa('docker', ['rm', '-f', name], { reject: false });
    }
    await execa('docker', ['--config', dockerConfig.path, 'push', ref]);
    const v = await cli(['verify', shas.code!]);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/^DIFFERENT: .* differ in 3 paths/m);
    expect(v.stdout).toContain('~ /app/index.html  (content)'); // same size, different bytes
    expect(v.stdout).toContain('~ /app/lib/tools/util.txt  (mode 0664 → 0600)');
    expect(v.stdout).toContain('+ /app/extra.txt  (file only in the delta)');
    const j = await cli(['--json', 'verify', shas.code!]);
    expect(j.exitCode).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ equal: false, differences: expect.arrayContaining([expect.objectContaining({ path: '/app/extra.txt', change: 'only-in-delta' })]) });
  }, T);
});

describe('delta-build on a base image without rmdir, through the CLI', () => {
  const app2 = uniqueName('normdir');
  let repo2: GitRepo;
  let dir2: TmpDir;
  const full2 = () => `${reg.host}/deployer-test/${app2}-full`;
  const delta2 = () => `${reg.host}/deployer-test/${app2}`;
  const cli2 = (args: string[]) => runCli(args, { cwd: dir2.path, env: { DOCKER_CONFIG: dockerConfig.path }, timeoutMs: T });

  beforeAll(async () => {
    const dockerfile = (await readFile(join(WEBAPP, 'Dockerfile'), 'utf8')).replace('FROM deployer-base/busybox:latest', 'FROM deployer-base/busybox:latest\nRUN rm /bin/rmdir');
    repo2 = await makeWebappRepo({ Dockerfile: dockerfile, 'gone/a.txt': 'a\n', 'gone/deeper/b.txt': 'b\n' });
    dir2 = await tmpDir('deployer-build-normdir-');
    await writeBuildConfig(dir2.path, repo2.dir, { app: app2, full: `deployer-test/${app2}-full`, delta: `deployer-test/${app2}`, registry: reg.host });
  }, T);

  afterAll(async () => {
    await removeRepositories(full2(), delta2());
    await Promise.all([repo2?.close(), dir2?.cleanup()]);
  }, T);

  it('removing a tracked directory removes it from the delta; verify passes', async () => {
    const built = await cli2(['full-build']);
    expect(built.exitCode, built.stderr).toBe(0);
    expect((await runIn(`${full2()}:latest`, ['rmdir', '/app/gone/deeper'])).exitCode).not.toBe(0); // no rmdir in the image
    const sha = await repo2.commit('drop gone/', { remove: ['gone'] });
    const r = await cli2(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await runIn(`${delta2()}:${sha}`, ['ls', '/app/gone'])).exitCode).not.toBe(0);
    const v = await cli2(['verify', sha]);
    expect(v.exitCode, v.stderr + v.stdout).toBe(0);
  }, T);
});
