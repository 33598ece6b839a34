import { StepFailedError } from '../../core/errors.js';
import type { TestStep } from '../../core/steps/test.js';
import { DEPLOYER_VERSION } from '../../core/version.js';
import { firstTarEntry } from '../../core/test/tar.js';
import { decide, type Verdict } from '../../core/test/verdict.js';
import { resultKey, type Results } from '../results.js';
import type { HandlersFor } from './types.js';
import { JUNIT_MAX_BYTES, logTail, phase, readAll, results, runInContainer, testContainer, TEST_VARS } from './test-run.js';
import { startService, waitReady } from './test-services.js';
import { startForSsh } from './test-ssh.js';
import { runSmoke } from './test-smoke.js';

export { sweepRun } from './test-run.js';

// test-image: a throwaway container of the production image, sidecars on a private network, the
// suite through docker exec, the JUnit file through the Docker API, smoke checks against the image
// running its own command. Test failures never throw mid-plan: they are collected and the last
// step decides. Every container and network carries `deployer.run=<id>`; the first step to run
// registers one cleanup that removes everything with that label, on every exit path.

export interface TestVerdict extends Verdict {
  imageId?: string;
  digest?: string;
  image: string;
  junitFile: string;
  recorded: boolean;
}

/** The verdict test.write-report leaves for the command's report. */
export const TEST_VERDICT = resultKey<TestVerdict>('test.verdict');

export const testHandlers: HandlersFor<TestStep> = {
  async 'test.pull'(step, ctx) {
    await phase(ctx, step.run, 'pull', async () => {
      await ctx.ports.images.pull(step.ref, { signal: ctx.signal, onProgress: (m) => ctx.ports.log.progress(m) });
      const info = await ctx.ports.docker.imageInfo(step.ref);
      if (!info) throw new StepFailedError(`pulled ${step.ref}, but the engine does not have it`, { code: 'test.no-image' });
      if (info.id !== step.imageId) ctx.ports.log.warn(`${step.ref} changed in the registry since the plan was made (${step.imageId} → ${info.id}); testing what was pulled`);
    });
  },

  async 'test.start-services'(step, ctx) {
    await phase(ctx, step.run, 'start sidecars', async () => {
      const { docker, log } = ctx.ports;
      await docker.createNetwork(step.network, step.run.labels);
      const ids = new Map<string, string>();
      for (const svc of step.services) {
        ctx.signal.throwIfAborted();
        ids.set(svc.name, await startService(ctx, step.run, step.network, svc));
      }
      await Promise.all(step.services.map(async (svc) => {
        await waitReady(ctx, ids.get(svc.name)!, svc, step.readyTimeoutSeconds);
        log.info(`sidecar ${svc.name} is ready`);
      }));
    });
  },

  async 'test.start-container'(step, ctx) {
    await phase(ctx, step.run, 'start the test container', async () => {
      const { docker } = ctx.ports;
      const image = step.run.image;
      const info = await docker.imageInfo(image);
      if (!info) throw new StepFailedError(`image ${image} is not on the Docker engine any more`, { code: 'test.no-image' });
      ctx.results.set(TEST_VARS.imageId, info.id);
      if (step.ssh) return startForSsh(ctx, step, step.ssh);
      const id = await docker.createContainer({
        image,
        name: step.container,
        // Idle, so the app does not run (nor write pid files and logs) while the suite does.
        entrypoint: ['/bin/sh', '-c', 'while :; do sleep 3600; done'],
        labels: step.run.labels,
        ...(step.network ? { network: step.network } : {}),
      });
      ctx.results.set(TEST_VARS.container, id);
      await docker.startContainer(id);
      const started = await docker.inspectContainer(id);
      if (!started?.running) {
        throw new StepFailedError(`the test container stopped at once (exit status ${started?.exitCode ?? 'unknown'}): the image needs /bin/sh and sleep to idle`, {
          details: await logTail(ctx, id),
          code: 'test.container',
        });
      }
    });
  },

  async 'test.run-setup'(step, ctx) {
    await phase(ctx, step.run, `setup ${step.index + 1}`, async (s) => {
      if (s.setupFailed) return ctx.ports.log.info(`skipped: an earlier setup command failed`);
      const id = testContainer(ctx);
      if (!id) throw new StepFailedError('the test container is gone', { code: 'test.container' });
      const r = await runInContainer(ctx, id, step.command, 'setup');
      if (r.timedOut || r.exitCode !== 0) {
        s.setupFailed = r;
        ctx.ports.log.warn(`setup command ${JSON.stringify(step.command.display)} ${r.timedOut ? 'timed out' : `exited with status ${r.exitCode}`}; the suite will not run`);
      }
    });
  },

  async 'test.run-suite'(step, ctx) {
    await phase(ctx, step.run, 'run the suite', async (s) => {
      if (s.setupFailed) return ctx.ports.log.info('skipped: a setup command failed');
      const id = testContainer(ctx);
      if (!id) throw new StepFailedError('the test container is gone', { code: 'test.container' });
      s.suite = await runInContainer(ctx, id, step.command, 'test');
      const r = s.suite;
      ctx.ports.log.info(r.timedOut ? `the suite timed out after ${step.command.timeoutSeconds}s` : `the suite exited with status ${r.exitCode} after ${r.seconds.toFixed(1)}s`);
    });
  },

  async 'test.copy-junit'(step, ctx) {
    await phase(ctx, step.run, 'copy the JUnit report', async (s) => {
      const id = testContainer(ctx);
      if (!s.suite || s.suite.timedOut || !id) {
        s.junit = { kind: 'missing', path: step.path };
        return ctx.ports.log.info(`skipped: the suite ${s.suite?.timedOut ? 'was killed' : 'did not run'}`);
      }
      const tar = await ctx.ports.docker.getArchive(id, step.path);
      if (!tar) {
        s.junit = { kind: 'missing', path: step.path };
      } else {
        const entry = firstTarEntry(await readAll(tar, JUNIT_MAX_BYTES, 'the JUnit report', 'test.junit'));
        if (!entry || entry.type !== 'file' || !entry.content) {
          throw new StepFailedError(`${step.path} in the test container is ${entry ? `a ${entry.type}` : 'empty'}, not a JUnit file`, {
            hint: 'test.junit must name the XML file the suite writes',
            code: 'test.junit',
          });
        }
        s.junit = { kind: 'found', path: step.path, text: new TextDecoder('utf-8').decode(entry.content) };
        ctx.ports.log.info(`copied ${step.path} (${entry.content.length} bytes)`);
      }
      // The suite is done: free the container now rather than at the end.
      await ctx.results.get(TEST_VARS.shell)?.close();
      ctx.results.delete(TEST_VARS.shell);
      await ctx.ports.docker.removeContainer(id);
      ctx.results.delete(TEST_VARS.container);
    });
  },

  async 'test.smoke'(step, ctx) {
    await phase(ctx, step.run, 'smoke checks', (s) => runSmoke(ctx, step, s));
  },

  async 'test.write-report'(step, ctx) {
    await phase(ctx, step.run, 'write the report', async (s) => {
      const { run } = step;
      const verdict = decide(results(ctx, run, s));
      await ctx.ports.files.writeAtomic(run.junitFile, verdict.xml);
      s.reportWritten = true;
      for (const w of verdict.warnings) ctx.ports.log.warn(w);
      const image = run.image;
      const imageId = ctx.results.get(TEST_VARS.imageId);
      const out: TestVerdict = { ...verdict, image, junitFile: run.junitFile, recorded: false, ...(imageId ? { imageId } : {}), ...(step.digest ? { digest: step.digest } : {}) };
      ctx.results.set(TEST_VERDICT, out);
      // A failed run is not a failed step: the report was written; the command's report turns
      // the verdict into exit code 1.
      if (!verdict.passed) return;
      if (!imageId) throw new StepFailedError('the tested image id is unknown; nothing recorded', { code: 'test.record' });
      await ctx.ports.records.put({
        imageId,
        image,
        revision: run.revision,
        passedAt: ctx.ports.clock.now().toISOString(),
        by: step.by,
        junit: verdict.counts,
        suite: { command: step.suite, summary: verdict.headline },
        deployer: DEPLOYER_VERSION,
        ...(step.digest && step.repository ? { digest: step.digest, repository: step.repository } : {}),
      }, ctx.signal);
      out.recorded = true;
    });
  },
};

export function testVerdict(results: Results): TestVerdict | undefined {
  return results.get(TEST_VERDICT);
}
