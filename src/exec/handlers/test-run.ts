// The shared state of one test-image run: var names, limits, the run's state, its cleanup, and running a command in the test container.
import { DeployerError, StepFailedError } from '../../core/errors.js';
import type { CommandSpec, TestRun } from '../../core/steps/test.js';
import { RUN_LABEL } from '../../core/test/names.js';
import { decide, type CommandRun, type RunResults, type SmokeRun, type SuiteJunitFile } from '../../core/test/verdict.js';
import type { ContainerShell } from '../../ports/container-ssh.js';
import type { Ports } from '../../ports/index.js';
import type { ExecContext } from '../context.js';
import type { Readable } from 'node:stream';
import { readCapped } from '../read-capped.js';
import { resultKey } from '../results.js';

/** The keys under which the test-image steps pass values to each other in ctx.results. */
export const TEST_VARS = {
  imageId: resultKey<string>('test.image-id'),
  container: resultKey<string>('test.container'),
  shell: resultKey<ContainerShell>('test.shell'),
  state: resultKey<TestState>('test.state'),
} as const;

/** Only so much output goes into the JUnit report; the console got all of it. */
const OUTPUT_KEPT = 512 * 1024;
export const JUNIT_MAX_BYTES = 64 * 1024 * 1024;
export const POLL_MS = 250;
const LOG_TAIL = 30;

export interface TestState {
  registered: boolean;
  reportWritten: boolean;
  setupFailed?: CommandRun;
  suite?: CommandRun;
  junit: SuiteJunitFile;
  smoke: SmokeRun[];
  error?: { phase: string; message: string };
}

function state(ctx: ExecContext): TestState {
  let s = ctx.results.get(TEST_VARS.state);
  if (!s) {
    s = { registered: false, reportWritten: false, junit: { kind: 'not-configured' }, smoke: [] };
    ctx.results.set(TEST_VARS.state, s);
  }
  return s;
}

/** Removes every container and network labelled with the run id. */
export async function sweepRun(docker: Ports['docker'], runId: string): Promise<void> {
  const filter = { [RUN_LABEL]: runId };
  const containers = await docker.listContainers(filter);
  await Promise.all(containers.map((c) => docker.removeContainer(c.id)));
  for (const n of await docker.listNetworks(filter)) await docker.removeNetwork(n.id);
}

function timestamp(d: Date): string {
  return d.toISOString().slice(0, 19);
}

export function results(ctx: ExecContext, run: TestRun, s: TestState): RunResults {
  return {
    revision: run.revision,
    image: run.image,
    timeoutSeconds: run.timeoutSeconds,
    ...(s.setupFailed ? { setupFailed: s.setupFailed } : {}),
    ...(s.suite ? { suite: s.suite } : {}),
    junit: s.junit,
    smoke: s.smoke,
    ...(s.error ? { error: s.error } : {}),
    timestamp: timestamp(ctx.ports.clock.now()),
  };
}

/**
 * The first step of the run registers the cleanup (the executor runs it on every path, LIFO):
 * the sweep, and before it a fallback report, so Jenkins gets a JUnit file even when a step
 * could not do its job. After an interrupt only the sweep runs.
 */
function begin(ctx: ExecContext, run: TestRun): TestState {
  const s = state(ctx);
  if (s.registered) return s;
  s.registered = true;
  ctx.defer(`write the JUnit report ${run.junitFile} after a failure`, async () => {
    if (s.reportWritten || ctx.signal.aborted || !s.error) return;
    await ctx.ports.files.writeAtomic(run.junitFile, decide(results(ctx, run, s)).xml);
    s.reportWritten = true;
  });
  ctx.defer(`remove the containers and network of test run ${run.runId}`, () => sweepRun(ctx.ports.docker, run.runId));
  return s;
}

/** Runs a step body; a failure that is not an interrupt is remembered for the fallback report. */
export async function phase(ctx: ExecContext, run: TestRun, name: string, fn: (s: TestState) => Promise<void>): Promise<void> {
  const s = begin(ctx, run);
  try {
    await fn(s);
  } catch (e) {
    if (!ctx.signal.aborted) s.error = { phase: name, message: e instanceof DeployerError ? [e.message, ...e.details].join('\n') : e instanceof Error ? e.message : String(e) };
    throw e;
  }
}

class OutputTail {
  #parts: string[] = [];
  #size = 0;
  #dropped = 0;
  push(line: string): void {
    this.#parts.push(line);
    this.#size += line.length + 1;
    while (this.#size > OUTPUT_KEPT && this.#parts.length > 1) {
      const gone = this.#parts.shift()!;
      this.#size -= gone.length + 1;
      this.#dropped++;
    }
  }
  text(): string {
    const head = this.#dropped ? `[… ${this.#dropped} earlier lines not kept …]\n` : '';
    return head + this.#parts.join('\n');
  }
}

export async function logTail(ctx: ExecContext, id: string): Promise<string[]> {
  const text = await ctx.ports.docker.logs(id, LOG_TAIL).catch(() => '');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length ? ['last log lines:', ...lines.map((l) => `  ${l}`)] : ['(no log output)'];
}

export function seconds(ctx: ExecContext, since: number): number {
  return (ctx.ports.clock.now().getTime() - since) / 1000;
}

/**
 * Runs one command in the test container with a deadline. A hung command is killed by removing
 * the container (the only way to kill an exec'd process through the API); the result says so.
 */
export async function runInContainer(ctx: ExecContext, id: string, spec: CommandSpec, source: string): Promise<CommandRun> {
  const out = new OutputTail();
  const t0 = ctx.ports.clock.now().getTime();
  const deadline = new AbortController();
  const timer = new AbortController();
  let timedOut = false;
  ctx.ports.clock.sleep(spec.timeoutSeconds * 1000, timer.signal).then(
    () => {
      timedOut = true;
      deadline.abort(new Error(`timed out after ${spec.timeoutSeconds}s`));
    },
    () => {},
  );
  try {
    const shell = ctx.results.get(TEST_VARS.shell);
    const opts = {
      env: spec.env,
      workingDir: spec.workingDir,
      signal: AbortSignal.any([ctx.signal, deadline.signal]),
      onLine: (line: string) => {
        out.push(line);
        ctx.ports.log.output(line, source);
      },
    };
    const r = shell ? await shell.exec(spec.argv, opts) : await ctx.ports.docker.exec(id, spec.argv, opts);
    const oci = /^OCI runtime exec failed: (.*)$/m.exec(r.stdout);
    if (!shell && r.exitCode === 126 && oci) {
      throw new StepFailedError(`cannot run ${JSON.stringify(spec.display)} in the test container: ${oci[1]!.trim()}`, {
        hint: `check that the image has the program and the directory ${spec.workingDir} (build.appDir)`,
        code: 'test.exec',
      });
    }
    return { command: spec.display, exitCode: r.exitCode, timedOut: false, seconds: seconds(ctx, t0), output: out.text() };
  } catch (e) {
    if (timedOut && !ctx.signal.aborted) {
      ctx.ports.log.warn(`${JSON.stringify(spec.display)} timed out after ${spec.timeoutSeconds}s: killing it (removing the test container)`);
      await ctx.ports.docker.removeContainer(id);
      ctx.results.delete(TEST_VARS.container);
      ctx.results.delete(TEST_VARS.shell);
      return { command: spec.display, timedOut: true, seconds: seconds(ctx, t0), output: out.text() };
    }
    throw e;
  } finally {
    timer.abort();
  }
}

export function testContainer(ctx: ExecContext): string | undefined {
  return ctx.results.get(TEST_VARS.container);
}

/** The whole stream, or a clear failure naming `what` when it is larger than `max` bytes. */
export async function readAll(stream: Readable, max: number, what: string, code: string): Promise<Uint8Array> {
  const { bytes, truncated } = await readCapped(stream, max);
  if (truncated) throw new StepFailedError(`${what} is larger than ${Math.round(max / 1024)} KiB`, { code });
  return bytes;
}
