// Swarm mode for the tests that need it. Several files (and other engineers' runs) share one engine,
// so a refcount under a lock directory decides: the first user turns swarm on if it was off, the
// last one turns it off again, and an engine that was already a swarm is left one. A holder that
// died (its pid is gone) no longer counts.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sleep } from './wait.js';

const DIR = join(tmpdir(), 'deployer-swarm-tests');
const LOCK = join(DIR, 'lock');
const HOLDERS = join(DIR, 'holders');
/** Present while the swarm is one the tests turned on (and must turn off). */
const OURS = join(DIR, 'initialized-by-tests');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function locked<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(DIR, { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(LOCK, 'pid'), 'utf8').catch(() => '0'));
      const age = Date.now() - (await stat(LOCK).then((s) => s.mtimeMs, () => Date.now()));
      // A lock without a pid is being taken right now, unless it is old (its taker died in between).
      if ((owner && !alive(owner)) || (!owner && age > 10_000)) await rm(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    await writeFile(join(LOCK, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function liveHolders(): Promise<string[]> {
  await mkdir(HOLDERS, { recursive: true });
  const names = await readdir(HOLDERS);
  const live: string[] = [];
  for (const n of names) {
    if (alive(Number(n.split('-')[0]))) live.push(n);
    else await rm(join(HOLDERS, n), { force: true });
  }
  return live;
}

export async function swarmState(): Promise<string> {
  return (await execa('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).stdout.trim();
}

/** Turns swarm mode on if needed; the returned function gives it back. */
export async function useSwarm(): Promise<() => Promise<void>> {
  const me = `${process.pid}-${randomBytes(4).toString('hex')}`;
  await locked(async () => {
    await liveHolders();
    if ((await swarmState()) === 'inactive') {
      await execa('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      await writeFile(OURS, String(process.pid));
    }
    await writeFile(join(HOLDERS, me), '');
  });
  return () => locked(async () => {
    await rm(join(HOLDERS, me), { force: true });
    const ours = await stat(OURS).then(() => true, () => false);
    if ((await liveHolders()).length === 0 && ours) {
      await execa('docker', ['swarm', 'leave', '--force']);
      await rm(OURS, { force: true });
    }
  });
}

/** Names of the services labelled deployer.app=<app>. */
export async function appServices(app: string): Promise<string[]> {
  const r = await execa('docker', ['service', 'ls', '--filter', `label=deployer.app=${app}`, '--format', '{{.Name}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** Running containers of swarm tasks labelled deployer.app=<app> (they outlive their service for a moment). */
export async function appTaskContainers(app: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '--filter', `label=deployer.app=${app}`, '--filter', 'label=com.docker.swarm.task.id', '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

export async function removeAppServices(app: string): Promise<void> {
  const names = await appServices(app);
  if (names.length) await execa('docker', ['service', 'rm', ...names], { reject: false });
}
