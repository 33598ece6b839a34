// "Nothing was lost" for the fault suite: what a case compares before and after a fault. Each check
// returns lines naming what was lost or left behind; a case passes only when all come back empty.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

/** Containers labelled for the app that were not there before (orphans of a failed run). */
export async function orphanContainers(app: string, before: string[] = []): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=deployer.app=${app}`, '--format', '{{.Names}}'], { reject: false });
  return r.stdout.split('\n').filter((n) => n && !before.includes(n)).map((n) => `container ${n} left behind`);
}

/** Names of the app's containers now (to pass as `before`). */
export async function appContainerNames(app: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=deployer.app=${app}`, '--format', '{{.Names}}'], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

/** Docker networks and swarm services whose name starts with the app's name. */
export async function orphanNetworksAndServices(app: string): Promise<string[]> {
  const out: string[] = [];
  const nets = await execa('docker', ['network', 'ls', '--format', '{{.Name}}'], { reject: false });
  for (const n of nets.stdout.split('\n')) if (n.startsWith(app)) out.push(`network ${n} left behind`);
  const svcs = await execa('docker', ['service', 'ls', '--format', '{{.Name}}'], { reject: false });
  if (svcs.exitCode === 0) for (const s of svcs.stdout.split('\n')) if (s.startsWith(app)) out.push(`service ${s} left behind`);
  return out;
}

/** A file that must be byte-identical to what it held before the fault. */
export async function unchangedFile(path: string, before: string): Promise<string[]> {
  let now: string;
  try {
    now = await readFile(path, 'utf8');
  } catch {
    return [`${path} is gone`];
  }
  return now === before ? [] : [`${path} changed:\n--- before\n${before}--- after\n${now}`];
}

/** Staged files (`.<name>.deployer-<hex>.tmp`) left in the directories of the managed files. */
export async function stagedLeftovers(...files: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (/\.deployer-[0-9a-f]+\.tmp$/.test(n)) out.push(`staged file ${join(dir, n)} left behind`);
  }
  return out;
}

/** The switch lock (`<stateDir>/<app>/lock`) still held after the run ended. */
export async function heldLock(stateDir: string, app: string): Promise<string[]> {
  try {
    await readdir(join(stateDir, app, 'lock'));
    return [`lock ${join(stateDir, app, 'lock')} still held`];
  } catch {
    return [];
  }
}

/** Registry tags of a repository that were not there before (a half-pushed tag). */
export async function newTags(registry: string, repo: string, before: string[], auth?: string): Promise<string[]> {
  const now = await listTags(registry, repo, auth);
  return now.filter((t) => !before.includes(t)).map((t) => `tag ${repo}:${t} appeared in the registry`);
}

export async function listTags(registry: string, repo: string, auth?: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`, auth ? { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } } : {});
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

export async function all(...checks: Promise<string[]>[]): Promise<string[]> {
  return (await Promise.all(checks)).flat();
}
