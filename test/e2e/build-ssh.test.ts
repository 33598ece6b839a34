// exec.via: ssh for images that run sshd (the old scripts' did, docs/traps.md §6): the delta's build container runs sshd
// alone (never the app), commands go over ssh to its port published on 127.0.0.1, accepting only
// the host key read from the container through the Docker API.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { containersNamed, imageInspect, makeWebappRepo, removeRepositories, runIn, uniqueName, webappFiles, writeBuildConfig } from '../support/build.js';
import type { GitRepo } from '../support/git-repo.js';
import { buildSshFixtureImage } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const T = 240_000;
const app = uniqueName('ssh');
const sshBase = `deployer-test/${app}-sshbase:1`;
const full = `deployer-test/${app}-full`;
const delta = `deployer-test/${app}`;
let work: TmpDir;
let repo: GitRepo;

beforeAll(async () => {
  work = await tmpDir('deployer-build-ssh-');
  const key = join(work.path, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'deployer-build-test', '-f', key]);
  await buildSshFixtureImage(sshBase, 'deployer-base/busybox:latest', await readFile(`${key}.pub`, 'utf8'), work.path);
  const files = await webappFiles();
  const dockerfile = (files.Dockerfile as { content: string }).content.replace('FROM deployer-base/busybox:latest', `FROM ${sshBase}`);
  repo = await makeWebappRepo({ Dockerfile: dockerfile });
  await writeBuildConfig(work.path, repo.dir, { app, full, delta, extra: `exec:\n  via: ssh\n  ssh: { keyFile: ${key} }\n` });
}, T);

afterAll(async () => {
  await removeRepositories(full, delta, sshBase.split(':')[0]!);
  await Promise.all([repo?.close(), work?.cleanup()]);
}, T);

describe('delta-build with exec.via: ssh', () => {
  it('runs the deletions and the deps install over ssh with a pinned host key; the image keeps the app command', async () => {
    const cli = (args: string[]) => runCli(args, { cwd: work.path, env: { DOCKER_CONFIG: work.path, SSH_AUTH_SOCK: '' }, timeoutMs: T });
    const f = await cli(['full-build']);
    expect(f.exitCode, f.stderr).toBe(0);
    const sha = await repo.commit('deps and a deletion', { write: { 'deps.lock': 'greeting 2.0\n' }, remove: ['lib/util.txt'] });
    const plan = await cli(['--plan', 'delta-build']);
    expect(plan.stdout).toMatch(/command replaced by `\/usr\/sbin\/sshd -D -e`: the app does not run during the build; commands over ssh to port 22 \(host key pinned from \/etc\/ssh\/ssh_host_ed25519_key.pub\)/);
    const r = await cli(['delta-build']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/commands for deployer-build-\S+ go over ssh \(root@127\.0\.0\.1:\d+, host key pinned from \/etc\/ssh\/ssh_host_ed25519_key.pub\)/);
    expect(r.stderr).toMatch(/deps \| deps installed from deps.lock/);
    const ref = `${delta}:${sha}`;
    expect((await runIn(ref, ['cat', '/app/deps/installed.txt'])).stdout).toBe('greeting 2.0');
    expect((await runIn(ref, ['ls', '/app/lib/util.txt'])).exitCode).not.toBe(0);
    const [img, base] = [await imageInspect(ref), await imageInspect(`${full}:latest`)];
    expect(img.Config.Cmd).toEqual(['/app/run.sh']);
    expect(img.Config.Entrypoint).toEqual(base.Config.Entrypoint);
    expect(img.Config.ExposedPorts).toEqual(base.Config.ExposedPorts);
    expect(await containersNamed(`deployer-build-${app}`)).toEqual([]);
    const v = await cli(['verify', sha]);
    expect(v.exitCode, v.stdout + v.stderr).toBe(0);
  }, T);
});
