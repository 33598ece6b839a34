// Fault cases: SIGINT and SIGTERM during `delta-build` (the build container running the dependency
// install; the engine committing it, its answer held by a proxy in front of the Docker socket; the
// push, its manifest held by a proxy in front of the registry) and during `test-image` (the suite
// running). Each exits 130 with cleanup: no build or test container, network, local tag or registry
// tag of the interrupted revision, and running delta-build again builds and pushes it. A push is
// the exception: the engine completes it even after its client hung up, so deployer follows it to
// the end and the registry and the local tag must agree.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { startCli, type Running } from '../support/cli-child.js';
import { containersNamed, localTags, makeWebappRepo, registryTags, removeRepositories, uniqueName, writeBuildConfig } from '../support/build.js';
import { faultCase, type FaultOutcome } from '../support/fault-case.js';
import type { GitRepo } from '../support/git-repo.js';
import { startHoldProxy, type HoldProxy } from '../support/hold-proxy.js';
import { startRegistry, type Registry } from '../support/registry.js';
import { buildFixtureImage, fakeSha, leftovers, removeImages } from '../support/test-image.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

let reg: Registry;
let regProxy: HoldProxy;
let dockerProxy: HoldProxy;
let repo: GitRepo;
let work: TmpDir;
const app = uniqueName('fsig');
const deltaPath = `deployer-test/${app}`;
let registryHost: string;
let mainDir: string;
let hangDir: string;

const interrupted = (sig: string) => new RegExp(`${sig} received, stopping and cleaning up[\\s\\S]*interrupted \\(${sig}\\); cleanup ran`);
const T = 150_000;

beforeAll(async () => {
  work = await tmpDir('deployer-faults-sigbuild-');
  reg = await startRegistry();
  regProxy = await startHoldProxy({ host: '127.0.0.1', port: reg.port }, { port: 0 });
  dockerProxy = await startHoldProxy({ socketPath: '/var/run/docker.sock' }, { socketPath: join(work.path, 'docker.sock') });
  registryHost = regProxy.address;
  repo = await makeWebappRepo();
  mainDir = join(work.path, 'main');
  hangDir = join(work.path, 'hang');
  await mkdir(mainDir);
  await mkdir(hangDir);
  const names = { app, full: `${deltaPath}-full`, delta: deltaPath, registry: registryHost };
  await writeBuildConfig(mainDir, repo.dir, names);
  const hang = await writeBuildConfig(hangDir, repo.dir, names);
  const { readFile } = await import('node:fs/promises');
  await writeFile(hang, (await readFile(hang, 'utf8')).replace(/depsInstall: .*/, `depsInstall: ${JSON.stringify('echo install-started; sleep 60')}`));
  const full = await runCli(['full-build'], { cwd: mainDir, timeoutMs: T });
  if (full.exitCode !== 0) throw new Error(`full-build failed:\n${full.stderr}`);
}, 240_000);

afterAll(async () => {
  await removeRepositories(`${registryHost}/${deltaPath}`, `${registryHost}/${deltaPath}-full`);
  await Promise.all([regProxy?.close(), dockerProxy?.close()]);
  await Promise.all([reg?.close(), repo?.close()]);
  await work?.cleanup();
}, T);

/** Nothing of the interrupted revision: no build container, no local tag, no registry tag. */
async function buildLeftovers(sha: string): Promise<string[]> {
  const lost: string[] = [];
  for (const c of await containersNamed(`deployer-build-${app}-${sha.slice(0, 12)}`)) lost.push(`build container ${c} left behind`);
  for (const t of await localTags(`${registryHost}/${deltaPath}`)) if (t.endsWith(sha)) lost.push(`local tag ${t} left behind`);
  if ((await registryTags(reg.url, deltaPath)).includes(sha)) lost.push(`tag ${deltaPath}:${sha} in the registry (an interrupted build pushed it)`);
  return lost;
}

/** Interrupts at `phase`, checks the leftovers, then runs delta-build again: it must finish the job. */
async function interruptBuild(sig: NodeJS.Signals, sha: string, dir: string, phase: (run: Running) => Promise<void>, env: Record<string, string> = {}): Promise<FaultOutcome> {
  const run = startCli(['delta-build', sha], { cwd: dir, env });
  await phase(run);
  const r = await run.result();
  const lost = await buildLeftovers(sha);
  const again = await runCli(['delta-build', sha], { cwd: mainDir, timeoutMs: T });
  if (again.exitCode !== 0) lost.push(`the re-run exited ${again.exitCode}:\n${again.stderr}`);
  else if (!(await registryTags(reg.url, deltaPath)).includes(sha)) lost.push(`the re-run did not push ${sha.slice(0, 12)}`);
  return { exitCode: r.exitCode, expectedExit: 130, output: r.stdout + r.stderr, message: interrupted(sig), lost };
}

let n = 0;
const codeChange = () => repo.commit(`code ${++n}`, { write: { 'index.html': `<h1>change ${n}</h1>\n` } });

describe('signals during delta-build', () => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    faultCase('signals: build', `${sig} while the build container runs the dependency install: exit 130, container and tags gone, the re-run builds`, async () => {
      const sha = await repo.commit(`deps ${++n}`, { write: { 'deps.lock': `greeting ${n}\n` } });
      return interruptBuild(sig, sha, hangDir, async (run) => {
        await run.waitForText('install-started');
        run.child.kill(sig);
      });
    }, T);

    faultCase('signals: build', `${sig} while the engine commits the container (answer held): exit 130, no tag left, the re-run builds`, async () => {
      const sha = await codeChange();
      const held = dockerProxy.holdNext(/^POST (\/v[\d.]+)?\/commit\?/m, 'answer');
      return interruptBuild(sig, sha, mainDir, async (run) => {
        await held.received;
        run.child.kill(sig);
        // A commit cannot be cancelled in the engine: deployer waits for it, then cleans up.
        await run.waitForText(`${sig} received`);
        held.release();
      }, { DOCKER_HOST: dockerProxy.address });
    }, T);

    faultCase('signals: build', `${sig} while pushing (the manifest held before the registry): deployer follows the engine's push to its end, exit 130, registry and local tag agree`, async () => {
      const sha = await codeChange();
      const held = regProxy.holdNext(new RegExp(`^PUT /v2/${deltaPath}/manifests/${sha}`, 'm'), 'request');
      const run = startCli(['delta-build', sha], { cwd: mainDir });
      await held.received;
      run.child.kill(sig);
      // The engine goes on pushing when its client hangs up: deployer must wait and tell.
      await run.waitForText(`${sig} received`);
      held.release();
      const r = await run.result();
      const lost: string[] = [];
      for (const c of await containersNamed(`deployer-build-${app}-${sha.slice(0, 12)}`)) lost.push(`build container ${c} left behind`);
      const remote = (await registryTags(reg.url, deltaPath)).includes(sha);
      const local = (await localTags(`${registryHost}/${deltaPath}`)).some((t) => t.endsWith(sha));
      if (remote !== local) lost.push(`the registry ${remote ? 'has' : 'lacks'} ${sha.slice(0, 12)} but the local tag is ${local ? 'there' : 'gone'}`);
      const again = await runCli(['delta-build', sha], { cwd: mainDir, timeoutMs: T });
      if (again.exitCode !== 0) lost.push(`the re-run exited ${again.exitCode}:\n${again.stderr}`);
      return {
        exitCode: r.exitCode,
        expectedExit: 130,
        output: r.stdout + r.stderr,
        message: new RegExp(`was under way in the engine and completed: it is in the registry[\\s\\S]*interrupted \\(${sig}\\); cleanup ran`),
        lost,
      };
    }, T);
  }
});

describe('signals during test-image', () => {
  const REPO = `deployer-faults-ti/${app}`;
  const SHA = fakeSha(`faults-${app}`);
  let cfg: string;
  beforeAll(async () => {
    await buildFixtureImage(`${REPO}:${SHA}`, { labels: { 'deployer.app': 'fixture', 'deployer.revision': SHA } });
    cfg = join(work.path, 'test-image.yaml');
    await writeFile(cfg, stringify({
      app: 'fixture',
      images: { full: `${REPO}-full`, delta: REPO },
      build: { appDir: '/app' },
      test: {
        junit: '/app/junit.xml',
        timeoutSeconds: 60,
        command: './t/hang.sh',
        services: [{ name: 'echo', image: 'deployer-base/busybox:latest', command: ['nc', '-ll', '-p', '7000', '-e', 'cat'], ready: { tcp: 7000 } }],
      },
      deploy: { port: 8000 },
      state: { dir: join(work.path, '.deployer') },
    }));
  }, T);
  afterAll(() => removeImages(`${REPO}:${SHA}`));

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    faultCase('signals: test-image', `${sig} while the suite runs: exit 130, no container, network, report or record left`, async () => {
      const run = startCli(['-c', cfg, 'test-image', SHA, '--junit', 'junit_output.xml'], { cwd: work.path });
      await run.waitForText('test | started, now hanging');
      run.child.kill(sig);
      const r = await run.result();
      const left = await leftovers(`deployer.tested-revision=${SHA}`);
      const lost = [...left.containers.map((c) => `container ${c} left behind`), ...left.networks.map((x) => `network ${x} left behind`)];
      const files = await execa('ls', ['-A', work.path]);
      for (const f of ['junit_output.xml', '.deployer']) if (files.stdout.split('\n').includes(f)) lost.push(`${f} written by an interrupted run`);
      return { exitCode: r.exitCode, expectedExit: 130, output: r.stdout + r.stderr, message: interrupted(sig), lost };
    }, T);
  }
});
