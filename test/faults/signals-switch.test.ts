// Fault cases: `deployer switch` interrupted at each phase. Ctrl-C (SIGINT to the whole process
// group, as a terminal sends it) and SIGTERM (to deployer alone, as `kill` or a CI abort sends it)
// while gathering facts, while `nginx -t` runs, after the rename before nginx got the reload, while
// `nginx -s reload` is still running, and during verification: exit 130, no child left running,
// and the file, what nginx serves and the history agree. Then SIGKILL (no cleanup at all) at three
// points, and the next run's recovery: `lock release`, then `switch` reloads, verifies and records.
// Each phase is held by a wrapper script (or a server that never answers) until the test has sent
// the signal; nothing waits on a timer.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { faultCase, type FaultOutcome } from '../support/fault-case.js';
import { gate, localSwitchWorld, signalCli, stallingDockerSocket, stallingVerifier, startCli, stillRunning, switchIntact, type CliRun, type Lb, type LocalSwitchWorld, type SwitchOver } from '../support/faults-switch-world.js';
import type { Nginx } from '../support/nginx.js';
import { unchangedFile } from '../support/nothing-lost.js';
import { nginxArgv, type World } from '../support/switch-world.js';

let world: LocalSwitchWorld;
let w: World;
let nginx: Nginx;
let lb: Lb;
let stateDir: string;
let marks: string;
const file = () => world.file;
const live = () => world.live();
const other = () => world.other();
const config = (o?: SwitchOver) => world.config(o);

/** A phase: the config (and environment) that holds the switch there, and how to know it is there. */
interface Phase {
  name: string;
  hold(marker: string): Promise<{ config: string; env?: Record<string, string>; reached(run: CliRun): Promise<string>; close?(): Promise<void> }>;
}

const reload = () => nginxArgv(nginx, '-s', 'reload');

const PHASES: Phase[] = [
  {
    name: 'while gathering facts (the Docker API accepts and never answers)',
    async hold(marker) {
      const docker = await stallingDockerSocket(`${marker}.sock`);
      return { config: await config(), env: { DOCKER_HOST: docker.host }, reached: () => docker.connected.then(() => ''), close: docker.close };
    },
  },
  {
    name: 'while `nginx -t` runs',
    async hold(marker) {
      return { config: await config({ test: gate(marker, 'before', nginxArgv(nginx, '-t')) }), reached: (run) => run.waitFile(marker) };
    },
  },
  {
    name: 'after the rename, before nginx got the reload',
    async hold(marker) {
      return { config: await config({ reload: gate(marker, 'before', reload()) }), reached: (run) => run.waitFile(marker) };
    },
  },
  {
    name: 'while `nginx -s reload` is still running (nginx already reloading)',
    async hold(marker) {
      return { config: await config({ reload: gate(marker, 'after', reload()) }), reached: (run) => run.waitFile(marker) };
    },
  },
  {
    name: 'during verification',
    async hold() {
      const verifier = await stallingVerifier();
      return { config: await config({ verifyUrl: verifier.url }), reached: () => verifier.asked.then(() => ''), close: verifier.close };
    },
  },
];

let n = 0;
const marker = () => join(marks, `m${++n}`);

async function interrupted(phase: Phase, sig: 'SIGINT' | 'SIGTERM'): Promise<FaultOutcome> {
  const before = await readFile(file(), 'utf8');
  const was = await live();
  const m = marker();
  const held = await phase.hold(m);
  try {
    const run = startCli(['--config', held.config, 'switch', await other()], { cwd: w.dir, ...(held.env ? { env: held.env } : {}), timeoutMs: 45_000 });
    const pidText = await held.reached(run);
    signalCli(run, sig, sig === 'SIGINT');
    const r = await run.result;
    const lost = [
      ...stillRunning(pidText, 'the held command'),
      ...(await unchangedFile(file(), before)),
      ...(await switchIntact([lb], stateDir, w.app, was)),
    ];
    if (lost.length) await tidy(pidText, before);
    return { exitCode: r.exitCode, expectedExit: 130, output: r.stdout + r.stderr, message: new RegExp(`interrupted \\(${sig}\\)`), lost };
  } finally {
    await held.close?.();
  }
}

/** After a case that lost something (already counted): put the world back for the next case. */
async function tidy(pidText: string, before: string): Promise<void> {
  if (Number(pidText)) process.kill(Number(pidText), 'SIGKILL');
  await w.cli(['lock', 'release']);
  for (const f of [join(nginx.prefix, 'conf.d', '.backend.conf.deployer-staged'), join(nginx.prefix, '.nginx.conf.deployer-test')]) await rm(f, { force: true });
  await writeFile(file(), before);
  await w.cli(['switch', await live()]);
}

/** SIGKILL at a phase (the whole group: nothing of the run survives), then the next run recovers. */
async function killedThenRecovered(phase: Phase): Promise<FaultOutcome> {
  const target = await other();
  const m = marker();
  const held = await phase.hold(m);
  const notes: string[] = [];
  try {
    const run = startCli(['--config', held.config, 'switch', target], { cwd: w.dir, ...(held.env ? { env: held.env } : {}), timeoutMs: 45_000 });
    await held.reached(run);
    signalCli(run, 'SIGKILL', true);
    await run.result;
  } finally {
    await held.close?.();
  }
  const release = await w.cli(['lock', 'release']);
  if (release.exitCode !== 0) notes.push(`lock release exited ${release.exitCode}: ${release.stderr}`);
  const r = await w.cli(['switch', target]);
  return {
    exitCode: r.exitCode,
    expectedExit: 0,
    output: r.stdout + r.stderr,
    message: /is live on local \(verified/,
    lost: [...notes, ...(await switchIntact([lb], stateDir, w.app, target))],
  };
}

beforeAll(async () => {
  world = await localSwitchWorld('faults-signals', 8);
  ({ w, nginx, lb, stateDir } = world);
  marks = join(w.dir, 'marks');
  await mkdir(marks);
}, 300_000);

afterAll(() => world?.close());

describe('switch interrupted', () => {
  for (const phase of PHASES) {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      faultCase('signals: switch', `${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} ${phase.name}: exit 130, consistent`, () => interrupted(phase, sig));
    }
  }
  for (const i of [1, 2, 4]) {
    const phase = PHASES[i]!;
    faultCase('signals: switch', `SIGKILL ${phase.name}; then \`lock release\` and \`switch\` again reloads, verifies and records`, () => killedThenRecovered(phase));
  }
});
