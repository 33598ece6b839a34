import { readCapped } from '../read-capped.js';
import type { Readable } from 'node:stream';
import { DeployerError, StepFailedError } from '../../core/errors.js';
import type { CommandSpec, ServiceSpec, TestRun, TestStep } from '../../core/steps/test.js';
import { listensOn } from '../../core/test/listening.js';
import { RUN_LABEL } from '../../core/test/names.js';
import { describeCheck, judge } from '../../core/test/smoke.js';
import { firstTarEntry } from '../../core/test/tar.js';
import { decide, type CommandRun, type RunResults, type SmokeRun, type SuiteJunitFile, type Verdict } from '../../core/test/verdict.js';
import type { ContainerShell } from '../../ports/container-ssh.js';
import type { Ports } from '../../ports/index.js';
import type { ExecContext } from '../context.js';
import type { HandlersFor } from './types.js';

// test-image: a throwaway container of the production image, sidecars on a private network, the
// suite through docker exec, the JUnit file through the Docker API, smoke checks against the image
// running its own command. Test failures never throw mid-plan: they are collected and the last
// step decides. Every container and network carries `deployer.run=<id>`; the first step to run
// registers one cleanup that removes everything with that label, on every exit path.

const V = {
  imageId: 'test.image-id',
  container: 'test.container',
  shell: 'test.shell',
  state: 'test.state',
  verdict: 'test.verdict',
} as const;

/** Only so much output goes into the JUnit report; the console got all of it. */
const OUTPUT_KEPT = 512 * 1024;
const JUNIT_MAX_BYTES = 64 * 1024 * 1024;
const POLL_MS = 250;
const LOG_TAIL = 30;

interface TestState {
  registered: boolean;
  reportWritten: boolean;
  setupFailed?: CommandRun;
  suite?: CommandRun;
  junit: SuiteJunitFile;
  smoke: SmokeRun[];
  error?: { phase: string; message: string };
}

export interface TestVerdict extends Verdict {
  imageId?: string;
  image: string;
  junitFile: string;
  recorded: boolean;
}

function state(ctx: ExecContext): TestState {
  let s = ctx.vars.get(V.state) as TestState | undefined;
  if (!s) {
    s = { registered: false, reportWritten: false, junit: { kind: 'not-configured' }, smoke: [] };
    ctx.vars.set(V.state, s);
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

function results(ctx: ExecContext, run: TestRun, s: TestState): RunResults {
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
async function phase(ctx: ExecContext, run: TestRun, name: string, fn: (s: TestState) => Promise<void>): Promise<void> {
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

async function logTail(ctx: ExecContext, id: string): Promise<string[]> {
  const text = await ctx.ports.docker.logs(id, LOG_TAIL).catch(() => '');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length ? ['last log lines:', ...lines.map((l) => `  ${l}`)] : ['(no log output)'];
}

function seconds(ctx: ExecContext, since: number): number {
  return (ctx.ports.clock.now().getTime() - since) / 1000;
}

/**
 * Runs one command in the test container with a deadline. A hung command is killed by removing
 * the container (the only way to kill an exec'd process through the API); the result says so.
 */
async function runInContainer(ctx: ExecContext, id: string, spec: CommandSpec, source: string): Promise<CommandRun> {
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
    const shell = ctx.vars.get(V.shell) as ContainerShell | undefined;
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
      ctx.vars.delete(V.container);
      ctx.vars.delete(V.shell);
      return { command: spec.display, timedOut: true, seconds: seconds(ctx, t0), output: out.text() };
    }
    throw e;
  } finally {
    timer.abort();
  }
}

function testContainer(ctx: ExecContext): string | undefined {
  return ctx.vars.get(V.container) as string | undefined;
}

async function startService(ctx: ExecContext, run: TestRun, network: string, svc: ServiceSpec): Promise<string> {
  const id = await ctx.ports.docker.createContainer({
    image: svc.image,
    name: svc.container,
    env: svc.env,
    labels: run.labels,
    network,
    networkAliases: [svc.name],
    ...(svc.command ? { cmd: svc.command } : {}),
  });
  await ctx.ports.docker.startContainer(id);
  return id;
}

async function waitReady(ctx: ExecContext, id: string, svc: ServiceSpec, timeoutSeconds: number): Promise<void> {
  const { docker, clock } = ctx.ports;
  const deadline = clock.now().getTime() + timeoutSeconds * 1000;
  const what = svc.ready ? ('tcp' in svc.ready ? `listening on TCP port ${svc.ready.tcp}` : `\`${svc.ready.display}\` succeeding`) : 'running';
  let last = '';
  for (;;) {
    const info = await docker.inspectContainer(id);
    if (!info?.running) {
      throw new StepFailedError(`sidecar ${svc.name} (${svc.image}) stopped before it was ready (exit status ${info?.exitCode ?? 'unknown'})`, {
        details: await logTail(ctx, id),
        hint: 'check the sidecar\'s image, command and env in test.services',
        code: 'test.sidecar',
      });
    }
    if (!svc.ready) return;
    if ('tcp' in svc.ready) {
      const r = await docker.exec(id, ['cat', '/proc/net/tcp', '/proc/net/tcp6']);
      if (/OCI runtime exec failed/.test(r.stdout)) {
        throw new StepFailedError(`cannot check sidecar ${svc.name} for a listening port: the image has no \`cat\` to read /proc/net/tcp`, {
          hint: `use ready: { command: [...] } for ${svc.name} in test.services`,
          code: 'test.sidecar',
        });
      }
      if (listensOn(r.stdout, svc.ready.tcp)) return;
      last = `nothing listens on port ${svc.ready.tcp} yet`;
    } else {
      const r = await docker.exec(id, svc.ready.command);
      if (r.exitCode === 0) return;
      last = `\`${svc.ready.display}\` exited with status ${r.exitCode}${r.stdout || r.stderr ? `: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' / ')}` : ''}`;
    }
    if (clock.now().getTime() >= deadline) {
      throw new StepFailedError(`sidecar ${svc.name} (${svc.image}) was not ready within ${timeoutSeconds}s (waiting for it to be ${what})`, {
        details: [last, ...(await logTail(ctx, id))],
        hint: 'check its readiness check in test.services, or give the suite more time (test.timeoutSeconds)',
        code: 'test.sidecar',
      });
    }
    await clock.sleep(POLL_MS, ctx.signal);
  }
}

/**
 * The image runs its own command (sshd among it, as the seed's supervisord did). Waits until the
 * host key can be read through the Docker API and a login with it pinned succeeds.
 */
async function startForSsh(
  ctx: ExecContext,
  step: Extract<TestStep, { kind: 'test.start-container' }>,
  ssh: NonNullable<Extract<TestStep, { kind: 'test.start-container' }>['ssh']>,
): Promise<void> {
  const { docker, clock, containerSsh } = ctx.ports;
  const id = await docker.createContainer({
    image: step.run.image,
    name: step.container,
    labels: step.run.labels,
    publish: [{ containerPort: ssh.port, hostIp: '127.0.0.1' }],
    ...(step.network ? { network: step.network } : {}),
  });
  ctx.vars.set(V.container, id);
  await docker.startContainer(id);
  const deadline = clock.now().getTime() + ssh.readyTimeoutSeconds * 1000;
  let last = '';
  for (;;) {
    const info = await docker.inspectContainer(id);
    if (!info?.running) {
      throw new StepFailedError(`the test container stopped (exit status ${info?.exitCode ?? 'unknown'}) before sshd accepted a login`, { details: await logTail(ctx, id), code: 'test.ssh' });
    }
    const hostPort = info.ports.find((p) => p.containerPort === ssh.port)?.hostPort;
    const tar = hostPort ? await docker.getArchive(id, ssh.hostKeyPath) : undefined;
    const entry = tar ? firstTarEntry(await readAll(tar, 64 * 1024)) : undefined;
    if (hostPort && entry?.content) {
      const hostKey = new TextDecoder().decode(entry.content).trim().split('\n')[0]!;
      try {
        const shell = await containerSsh.open({ port: hostPort, hostKey, hostKeySource: `the test container's ${ssh.hostKeyPath}`, readyTimeoutMs: 5000, signal: ctx.signal });
        ctx.vars.set(V.shell, shell);
        ctx.defer(`close the ssh connection to ${shell.name}`, () => shell.close());
        ctx.ports.log.info(`logged in to the test container over ssh (${shell.name}, host key pinned)`);
        return;
      } catch (e) {
        // A missing or unusable client key will not get better by waiting.
        if (ctx.signal.aborted || (e instanceof DeployerError && e.code === 'ssh.identity')) throw e;
        last = e instanceof Error ? e.message : String(e);
      }
    } else {
      last = hostPort ? `${ssh.hostKeyPath} does not exist in the container (yet)` : `port ${ssh.port} is not published`;
    }
    if (clock.now().getTime() >= deadline) {
      throw new StepFailedError(`cannot log in to the test container over ssh within ${ssh.readyTimeoutSeconds}s`, {
        details: [last, ...(await logTail(ctx, id))],
        hint: 'check exec.ssh (port, user, keyFile, hostKeyPath) and that the image starts sshd',
        code: 'test.ssh',
      });
    }
    await clock.sleep(POLL_MS * 2, ctx.signal);
  }
}

/** The whole stream, or a clear failure when it is larger than `max` (a JUnit report, a key file). */
async function readAll(stream: Readable, max: number): Promise<Uint8Array> {
  const { bytes, truncated } = await readCapped(stream, max);
  if (truncated) throw new StepFailedError(`the JUnit report is larger than ${max / 1024 / 1024} MB`, { code: 'test.junit' });
  return bytes;
}

async function runSmoke(ctx: ExecContext, step: Extract<TestStep, { kind: 'test.smoke' }>, s: TestState): Promise<void> {
  const { docker, clock, http, log } = ctx.ports;
  const image = step.run.image;
  const id = await docker.createContainer({
    image,
    name: step.container,
    env: step.env,
    labels: step.run.labels,
    publish: [{ containerPort: step.port, hostIp: '127.0.0.1' }],
    ...(step.network ? { network: step.network } : {}),
  });
  await docker.startContainer(id);
  const failAll = (message: string, detail: string) => {
    for (const check of step.checks) s.smoke.push({ check, seconds: 0, verdict: { ok: false, message, detail } });
    log.warn(`smoke: ${message}`);
  };
  try {
    const info = await docker.inspectContainer(id);
    const hostPort = info?.ports.find((p) => p.containerPort === step.port)?.hostPort;
    if (!info?.running || !hostPort) {
      failAll(`the app stopped at once (exit status ${info?.exitCode ?? 'unknown'})`, (await logTail(ctx, id)).join('\n'));
      return;
    }
    const base = `http://127.0.0.1:${hostPort}`;
    const deadline = clock.now().getTime() + step.startTimeoutSeconds * 1000;
    let lastError = '';
    // Up means: it answers HTTP at all (a status is judged by the checks, not here).
    for (;;) {
      try {
        await http.get(`${base}${step.checks[0]!.path}`, { timeoutMs: 2000, signal: ctx.signal });
        break;
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        lastError = e instanceof Error ? e.message : String(e);
      }
      const now = await docker.inspectContainer(id);
      if (!now?.running) {
        failAll(`the app exited with status ${now?.exitCode ?? 'unknown'} before answering on port ${step.port}`, (await logTail(ctx, id)).join('\n'));
        return;
      }
      if (clock.now().getTime() >= deadline) {
        failAll(`the app did not answer HTTP on port ${step.port} within ${step.startTimeoutSeconds}s (${lastError})`, [lastError, ...(await logTail(ctx, id))].join('\n'));
        return;
      }
      await clock.sleep(POLL_MS, ctx.signal);
    }
    for (const check of step.checks) {
      const t0 = clock.now().getTime();
      const answer = await http.get(`${base}${check.path}`, { timeoutMs: 10_000, signal: ctx.signal }).catch((e: unknown) => {
        if (ctx.signal.aborted) throw e;
        return { error: e instanceof Error ? e.message : String(e) };
      });
      const verdict = judge(check, answer);
      s.smoke.push({ check, seconds: seconds(ctx, t0), verdict });
      if (verdict.ok) log.info(`smoke ok: ${describeCheck(check)}`);
      else log.warn(`smoke failed: ${describeCheck(check)}: ${verdict.message}`);
    }
  } finally {
    await docker.removeContainer(id);
  }
}

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
      ctx.vars.set(V.imageId, info.id);
      if (step.ssh) return startForSsh(ctx, step, step.ssh);
      const id = await docker.createContainer({
        image,
        name: step.container,
        // Idle, so the app does not run (nor write pid files and logs) while the suite does.
        entrypoint: ['/bin/sh', '-c', 'while :; do sleep 3600; done'],
        labels: step.run.labels,
        ...(step.network ? { network: step.network } : {}),
      });
      ctx.vars.set(V.container, id);
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
        const entry = firstTarEntry(await readAll(tar, JUNIT_MAX_BYTES));
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
      await (ctx.vars.get(V.shell) as ContainerShell | undefined)?.close();
      ctx.vars.delete(V.shell);
      await ctx.ports.docker.removeContainer(id);
      ctx.vars.delete(V.container);
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
      const imageId = ctx.vars.get(V.imageId) as string | undefined;
      const out: TestVerdict = { ...verdict, image, junitFile: run.junitFile, recorded: false, ...(imageId ? { imageId } : {}) };
      ctx.vars.set(V.verdict, out);
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
      });
      out.recorded = true;
    });
  },
};

export function testVerdict(vars: Map<string, unknown>): TestVerdict | undefined {
  return vars.get(V.verdict) as TestVerdict | undefined;
}
