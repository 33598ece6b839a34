import { diffFs, renderDifference, volatileMatcher, type VerifyResult } from '../../core/build/fs-diff.js';
import { batches, byDepth } from '../../core/build/paths.js';
import { shortId } from '../../core/build/refs.js';
import { StepFailedError } from '../../core/errors.js';
import type { BuildStep, TagUndo } from '../../core/steps/build.js';
import type { ExecContext } from '../context.js';
import { BUILT_IMAGES, PUSHED_IMAGES, VERIFY_RESULT } from '../build-results.js';
import type { HandlersFor } from './types.js';
import { commandRunner, loginOverSsh } from './build-exec.js';

// Handlers of full-build, delta-build and verify steps. Values only known during apply go to
// ctx.results under the keys of build-results.ts.

const TAIL = 20;

/** See the TagUndo comment in core/steps/build.ts: nothing half-tagged on any exit path. */
function undoTagUnlessPushed(ctx: ExecContext, ref: string, undo: TagUndo): void {
  if (!undo.provisional) return;
  ctx.defer(`undo the local tag ${ref} unless it was pushed`, async () => {
    if (ctx.results.has(PUSHED_IMAGES.key(ref))) return;
    if (undo.previousId) {
      await ctx.ports.docker.tagImage(undo.previousId, ref);
      ctx.ports.log.info(`restored the local tag ${ref} to ${shortId(undo.previousId)} (its push did not happen)`);
    } else {
      await ctx.ports.docker.removeImage(ref);
      ctx.ports.log.info(`removed the local tag ${ref} (its push did not happen)`);
    }
  });
}

/**
 * A command that died with its container (docker kill or rm, the OOM killer, a daemon restart) is
 * not the command's fault: say that the container went, not "fix the dependency files".
 */
async function failIfContainerLost(ctx: ExecContext, container: string, during: string, exitCode?: number): Promise<void> {
  // A command killed by a signal (exit > 128), or an exec the dying container could not start
  // (126), may be the first to know: the engine marks the container stopped a moment after its
  // processes die, so look again for a little while.
  const looks = exitCode !== undefined && exitCode >= 126 ? 10 : 1;
  let info: Awaited<ReturnType<typeof ctx.ports.docker.inspectContainer>>;
  for (let i = 0; i < looks; i++) {
    if (i > 0) await ctx.ports.clock.sleep(200, ctx.signal);
    info = await ctx.ports.docker.inspectContainer(container).catch(() => undefined);
    if (!info?.running) break;
  }
  if (info?.running) return;
  throw new StepFailedError(`the build container ${container} ${info ? `stopped (exit ${info.exitCode ?? '?'})` : 'was removed'} during ${during}`, {
    hint: 'something outside deployer killed or removed it (docker kill or rm, the OOM killer, a daemon restart); run delta-build again',
    code: 'build.container-lost',
  });
}

export const buildHandlers: HandlersFor<BuildStep> = {
  async 'build.image'(step, ctx) {
    undoTagUnlessPushed(ctx, step.tag, step);
    const { id } = await ctx.ports.images.build({
      context: ctx.ports.git.archive(step.revision),
      exclude: step.exclude,
      dockerfile: step.dockerfile,
      tag: step.tag,
      labels: step.labels,
      buildArgs: step.buildArgs,
      signal: ctx.signal,
      onLine: (l) => ctx.ports.log.output(l, 'build'),
    });
    const info = await ctx.ports.docker.imageInfo(step.tag);
    ctx.results.set(BUILT_IMAGES.key(step.tag), { id, layers: info?.layers ?? 0 });
  },

  async 'build.pull'(step, ctx) {
    await ctx.ports.images.pull(step.ref, { signal: ctx.signal, onProgress: (m) => ctx.ports.log.progress(m) });
  },

  async 'build.tag'(step, ctx) {
    undoTagUnlessPushed(ctx, step.target, step);
    await ctx.ports.docker.tagImage(step.source, step.target);
  },

  async 'build.push'(step, ctx) {
    const r = await ctx.ports.images.push(step.ref, { signal: ctx.signal, onProgress: (m) => ctx.ports.log.progress(m) });
    ctx.results.set(PUSHED_IMAGES.key(step.ref), r);
    // Interrupted while the engine pushed: it finished anyway, so the tag is in the registry and
    // stays (local and remote agree); the run still ends as interrupted.
    if (ctx.signal.aborted) {
      ctx.ports.log.info(`the push of ${step.ref} was under way in the engine and completed: it is in the registry`);
      ctx.signal.throwIfAborted();
    }
  },

  async 'build.container'(step, ctx) {
    const { docker, log } = ctx.ports;
    const spec = {
      image: step.image,
      name: step.name,
      cmd: step.command.cmd,
      ...(step.command.entrypoint ? { entrypoint: step.command.entrypoint } : {}),
      ...(step.ssh ? { publish: [{ containerPort: step.ssh.port, hostIp: '127.0.0.1' }] } : {}),
    };
    ctx.defer(`remove build container ${step.name}`, () => docker.removeContainer(step.name));
    try {
      await docker.createContainer(spec);
    } catch (e) {
      // A container of this name left by a run killed before its cleanup (the name is per revision).
      if (!(await docker.inspectContainer(step.name))) throw e;
      log.warn(`removing the leftover build container ${step.name} (from an interrupted run)`);
      await docker.removeContainer(step.name);
      await docker.createContainer(spec);
    }
    if (!step.start) return;
    try {
      await docker.startContainer(step.name);
    } catch (e) {
      throw new StepFailedError(`cannot start build container ${step.name}: ${(e as Error).message}`, {
        hint: `deleting files and installing dependencies run inside the container: the base image needs \`${[...(step.command.entrypoint ?? []), ...step.command.cmd][0]}\` and \`rm\``,
        cause: e,
        code: 'build.container',
      });
    }
    if (step.ssh) await loginOverSsh(ctx, step.name, step.ssh);
  },

  async 'build.delete'(step, ctx) {
    const run = commandRunner(ctx, step.container);
    // `rm -f` for files; `rm -rf` only for directories found empty (`rm -d` is not in every rm).
    const remove = async (paths: string[], what: string, flags: string) => {
      for (const batch of batches(paths)) {
        const r = await run(['rm', flags, '--', ...batch], { asRoot: true });
        if (r.exitCode !== 0) {
          throw new StepFailedError(`deleting ${what} in ${step.container} failed (exit ${r.exitCode})`, {
            details: (r.stderr || r.stdout).trim().split('\n').slice(-TAIL),
            hint: 'deletions run `rm` inside the build container: the base image needs it',
            code: 'build.delete',
          });
        }
      }
    };
    await remove(step.paths, 'files', '-f');
    // Only empty directories go: whatever else lives there (logs, installed files) stays, as it
    // would in a full build. Emptiness is read through the Docker API, not with rmdir (an image may
    // lack it, and a failing rmdir cannot be told from a non-empty directory); deepest first, one
    // depth at a time, so a parent emptied by its children's removal goes too.
    for (const level of byDepth(step.dirs)) {
      const empty = (await Promise.all(level.map(async (d) => ((await ctx.ports.docker.isEmptyDirectory(step.container, d)) ? d : undefined))))
        .filter((d): d is string => d !== undefined);
      await remove(empty, 'empty directories', '-rf');
    }
  },

  async 'build.copy'(step, ctx) {
    // Extracted at / with appDir as the entries' prefix, not into appDir: the engine refuses a
    // symlink that points outside the directory it extracts into ("invalid symlink"), and a full
    // build's COPY takes any symlink as it is (`lib -> ../common`, one climbing above /).
    const prefix = step.appDir.replace(/^\/+|\/+$/g, '');
    for (const batch of batches(step.paths, 256 * 1024)) {
      const tar = ctx.ports.git.archive(step.revision, batch, prefix ? { prefix: `${prefix}/` } : {});
      await ctx.ports.docker.putArchive(step.container, tar, '/');
    }
  },

  async 'build.deps'(step, ctx) {
    const run = commandRunner(ctx, step.container);
    const during = 'the dependency install';
    if (step.depsDir) {
      const r = await run(['rm', '-rf', '--', step.depsDir], { asRoot: true });
      if (r.exitCode !== 0) {
        await failIfContainerLost(ctx, step.container, during, r.exitCode);
        throw new StepFailedError(`removing ${step.depsDir} failed (exit ${r.exitCode})`, { details: r.stderr.trim().split('\n').slice(-TAIL), code: 'build.deps' });
      }
    }
    // As the image's USER, in appDir, with the image's Env: what the Dockerfile's RUN saw.
    const tail: string[] = [];
    const r = await run(step.command, {
      workingDir: step.workingDir,
      onLine: (line) => {
        tail.push(line);
        if (tail.length > TAIL) tail.shift();
        ctx.ports.log.output(line, 'deps');
      },
    }).catch(async (e: unknown) => {
      if (!ctx.signal.aborted) await failIfContainerLost(ctx, step.container, during);
      throw e;
    });
    if (r.exitCode !== 0) {
      await failIfContainerLost(ctx, step.container, during, r.exitCode);
      throw new StepFailedError(`dependency install failed (exit ${r.exitCode}): ${step.command.join(' ')}`, {
        details: tail.map((l) => `| ${l}`),
        hint: 'fix the dependency files or changes.depsInstall, then run delta-build again',
        code: 'build.deps',
      });
    }
  },

  async 'build.commit'(step, ctx) {
    undoTagUnlessPushed(ctx, step.ref, step);
    const { id } = await ctx.ports.images.commit({ container: step.container, ref: step.ref, config: step.config, comment: 'deployer delta-build' });
    const info = await ctx.ports.docker.imageInfo(step.ref);
    const layers = info?.layers ?? 0;
    if (layers !== step.baseLayers + 1) {
      ctx.ports.log.warn(`${step.ref} has ${layers} layers; expected ${step.baseLayers + 1} (base + 1)`);
    }
    ctx.results.set(BUILT_IMAGES.key(step.ref), { id, layers });
  },

  async 'build.compare'(step, ctx) {
    const { images, log } = ctx.ports;
    log.progress(`reading the file system of ${step.full}`);
    const full = await images.snapshot(step.full, { signal: ctx.signal });
    log.progress(`reading the file system of ${step.delta}`);
    const delta = await images.snapshot(step.delta, { signal: ctx.signal });
    const differences = diffFs(full, delta, volatileMatcher(step.ignore));
    const result: VerifyResult = { full: step.full, delta: step.delta, equal: differences.length === 0, compared: new Set([...full.keys(), ...delta.keys()]).size, differences };
    ctx.results.set(VERIFY_RESULT, result);
    if (differences.length) log.warn(`${differences.length} difference${differences.length === 1 ? '' : 's'}: ${differences.slice(0, 3).map(renderDifference).join('; ')}${differences.length > 3 ? '; …' : ''}`);
  },
};
