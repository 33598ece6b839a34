// Fault cases: the Docker engine fails. Unreachable (DOCKER_HOST at a dead socket or port): one
// message naming the engine and where it was looked for, exit 4 before anything is done. A RUN
// that fails: exit 1 naming the step. The build container killed or removed under a delta-build,
// the test container killed under test-image: exit 1, and no container, tag or image left.
import { execa } from 'execa';
import { afterAll, beforeAll, describe } from 'vitest';
import type { CliResult } from '../support/cli.js';
import { faultCase } from '../support/fault-case.js';
import { buildWorld, codeCommit, out, runUntil, T, type BuildWorld } from '../support/fault-build.js';
import { freePort } from '../support/ports.js';
import { leftovers } from '../support/test-image.js';

let w: BuildWorld;
let testsDir: string;
let slowInstallDir: string;
let slowTestDir: string;
const DEAD_SOCKET = `/tmp/deployer-faults-no-engine-${process.pid}.sock`;

beforeAll(async () => {
  w = await buildWorld('fdock');
  const full = await w.cli(['full-build']);
  if (full.exitCode !== 0) throw new Error(`full-build of the base failed:\n${out(full)}`);
  testsDir = await w.variant('tests', { extra: 'test: { command: "test -f /app/index.html", timeoutSeconds: 60 }' });
  slowInstallDir = await w.variant('slow-install', { depsInstall: 'echo install-started; sleep 60' });
  slowTestDir = await w.variant('slow-test', { extra: 'test: { command: "echo test-started; sleep 60", timeoutSeconds: 120 }' });
}, T);

afterAll(async () => {
  await w?.close();
}, T);

const result = (r: CliResult, expectedExit: number, message: RegExp, lost: string[]) => ({ exitCode: r.exitCode, expectedExit, output: out(r), message, lost });

describe('docker engine faults: unreachable', () => {
  const commands: Array<[string, (sha: string) => string[], () => string]> = [
    ['full-build', () => ['full-build'], () => w.dir],
    ['delta-build', () => ['delta-build'], () => w.dir],
    ['test-image', (sha) => ['test-image', sha], () => testsDir],
    ['verify', (sha) => ['verify', sha], () => w.dir],
  ];
  for (const [name, args, dir] of commands) {
    faultCase('docker engine', `${name}: DOCKER_HOST at a dead unix socket → exit 4 naming the engine and the socket`, async () => {
      const sha = await codeCommit(w, `${name} no engine`);
      const before = await w.snapshot();
      const r = await w.cli(args(sha), { dir: dir(), env: { DOCKER_HOST: `unix://${DEAD_SOCKET}` } });
      return result(r, 4, new RegExp(`cannot reach the Docker engine at ${DEAD_SOCKET} \\(ENOENT\\)`), await w.lost(before));
    }, T);
  }

  faultCase('docker engine', 'delta-build: DOCKER_HOST at a closed TCP port → exit 4 naming the engine and the address', async () => {
    await codeCommit(w, 'tcp no engine');
    const before = await w.snapshot();
    const port = await freePort();
    const r = await w.cli(['delta-build'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    return result(r, 4, new RegExp(`cannot reach the Docker engine at 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`), await w.lost(before));
  }, T);
});

describe('docker engine faults: failing builds', () => {
  faultCase('docker engine', 'full-build: a RUN fails → exit 1 naming the step, no tag', async () => {
    const dockerfile = await w.repo.git(['show', 'HEAD:Dockerfile']);
    await w.repo.commit('a RUN that fails', { write: { Dockerfile: dockerfile.replace('EXPOSE 8000', 'RUN echo about to fail && false\nEXPOSE 8000') } });
    const before = await w.snapshot();
    try {
      const r = await w.cli(['full-build']);
      return result(r, 1, /failed at Step \d+\/\d+ : RUN echo about to fail && false/, await w.lost(before));
    } finally {
      await w.repo.commit('the RUN fixed', { write: { Dockerfile: dockerfile } });
    }
  }, T);

  faultCase('docker engine', 'delta-build of an infra change: a RUN fails → exit 1 naming the step, no delta, latest untouched', async () => {
    const dockerfile = await w.repo.git(['show', 'HEAD:Dockerfile']);
    await w.repo.commit('an infra change whose RUN fails', { write: { Dockerfile: dockerfile.replace('EXPOSE 8000', 'RUN echo infra about to fail && exit 7\nEXPOSE 8000') } });
    const before = await w.snapshot();
    try {
      const r = await w.cli(['delta-build']);
      return result(r, 1, /failed at Step \d+\/\d+ : RUN echo infra about to fail && exit 7/, await w.lost(before));
    } finally {
      await w.repo.commit('the infra RUN fixed', { write: { Dockerfile: dockerfile } });
      // The fix is an infra change too: build it now, so later deltas start from this Dockerfile.
      const r = await w.cli(['full-build']);
      if (r.exitCode !== 0) throw new Error(`full-build after the fix failed:\n${out(r)}`);
    }
  }, T);
});

describe('docker engine faults: containers removed under a run', () => {
  const buildContainer = async () => (await execa('docker', ['ps', '-q', '--filter', `name=deployer-build-${w.app}-`])).stdout.split('\n').filter(Boolean);

  // `docker rm -f` kills first: deployer may see the container stopped or already gone.
  const lostContainer = /the build container deployer-build-\S+ (stopped \(exit 137\)|was removed) during the dependency install/;
  for (const [how, argv] of [['killed (docker kill)', ['kill']], ['removed (docker rm -f)', ['rm', '-f']]] as const) {
    faultCase('docker engine', `delta-build: the build container ${how} during the dependency install → exit 1, no container, no tag`, async () => {
      await w.repo.commit(`deps change: ${how}`, { write: { 'deps.lock': `greeting ${Math.random()}\n` } });
      const before = await w.snapshot();
      const r = await runUntil(w, ['delta-build'], (stderr) => stderr.includes('install-started'), {
        dir: slowInstallDir,
        act: async () => {
          const ids = await buildContainer();
          if (ids.length !== 1) throw new Error(`expected one running build container, found ${ids.length}`);
          await execa('docker', [...argv, ids[0]!]);
        },
      });
      return result(r, 1, lostContainer, await w.lost(before));
    }, T);
  }

  faultCase('docker engine', 'test-image: the test container killed mid-test → exit 1, no container or network left, no record', async () => {
    const sha = await codeCommit(w, 'test killed');
    const built = await w.cli(['delta-build']);
    if (built.exitCode !== 0) throw new Error(`delta-build failed:\n${out(built)}`);
    const before = await w.snapshot();
    const label = `deployer.tested-revision=${sha}`;
    const r = await runUntil(w, ['test-image', sha], (stderr) => stderr.includes('test-started'), {
      dir: slowTestDir,
      act: async () => {
        const ids = (await execa('docker', ['ps', '-q', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
        if (ids.length === 0) throw new Error('no running test container');
        await execa('docker', ['kill', ...ids]);
      },
    });
    const left = await leftovers(label);
    const lost = [...left.containers.map((c) => `test container ${c} left behind`), ...left.networks.map((n) => `network ${n} left behind`), ...(await w.lost(before))];
    return result(r, 1, /tests failed: "echo test-started; sleep 60" exited with status 137/, lost);
  }, T);
});
