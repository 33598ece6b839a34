// The world of the build fault cases (test/faults/registry, docker, git): a real registry with
// htpasswd auth behind a fault proxy, the fixture app as a git repo, a deployer.yaml pointing at the
// proxy, the CLI run with the right credentials, and what "nothing lost" means for a build: no
// build container (by name and by label), no tag that was not there before, the repo untouched.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { containersNamed, localTags, makeWebappRepo, removeRepositories, uniqueName, writeBuildConfig } from './build.js';
import { runCli, type CliResult } from './cli.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import type { GitRepo, RepoFiles } from './git-repo.js';
import { all, listTags, newTags, orphanContainers } from './nothing-lost.js';
import { startRegistry, type Registry } from './registry.js';
import { CLI_ENTRY, TSX_LOADER } from './test-image.js';
import { tmpDir, type TmpDir } from './tmp.js';

export const T = 180_000;
export const USER = 'deployer';
export const PASSWORD = 'fault-suite s3cret pw';

export interface BuildWorld {
  app: string;
  reg: Registry;
  proxy: FaultProxy;
  repo: GitRepo;
  work: TmpDir;
  /** Directory holding the main deployer.yaml (registry = the proxy). */
  dir: string;
  fullPath: string;
  deltaPath: string;
  /** Image repositories as named through the proxy. */
  full: string;
  delta: string;
  env: Record<string, string>;
  cli(args: string[], opts?: { dir?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Another deployer.yaml for the same repo and app (e.g. another registry host, extra keys). */
  variant(name: string, over?: { registry?: string; extra?: string; depsInstall?: string }): Promise<string>;
  /** Tags of a repository path in the real registry (not through the proxy). */
  tags(path: string): Promise<string[]>;
  /** Whatever a failed build may leave behind, compared with `before`. */
  lost(before: Snapshot): Promise<string[]>;
  /**
   * For a fault the retries overcame: the new tags are exactly `pushed` (path → tags), each one
   * whole (its manifest, config and every layer are in the registry), and nothing else is left.
   */
  lostAfterRecovery(before: Snapshot, pushed: Record<string, string[]>): Promise<string[]>;
  /** The registry tags of the app's repositories and the repo's HEAD now, to pass to lost(). */
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

export interface Snapshot {
  tags: Record<string, string[]>;
  /** Local `repo:tag`s of the app's images through the proxy. */
  local: string[];
  head: string;
}

export async function buildWorld(prefix: string, opts: { extra?: string; files?: RepoFiles } = {}): Promise<BuildWorld> {
  const app = uniqueName(prefix);
  const reg = await startRegistry({ htpasswd: { user: USER, password: PASSWORD } });
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: reg.port });
  const repo = await makeWebappRepo(opts.files);
  const work = await tmpDir(`deployer-faults-${prefix}-`);
  const dockerConfig = join(work.path, 'docker-config');
  await mkdir(dockerConfig);
  const fullPath = `deployer-test/${app}-full`;
  const deltaPath = `deployer-test/${app}`;
  const env = { DOCKER_CONFIG: dockerConfig, DEPLOYER_REGISTRY_USER: USER, DEPLOYER_REGISTRY_PASSWORD: PASSWORD };
  const auth = `${USER}:${PASSWORD}`;
  const variant = async (name: string, over: { registry?: string; extra?: string; depsInstall?: string } = {}) => {
    const d = join(work.path, name);
    await mkdir(d, { recursive: true });
    const extra = [opts.extra, over.extra].filter(Boolean).join('\n');
    const path = await writeBuildConfig(d, repo.dir, { app, full: fullPath, delta: deltaPath, registry: over.registry ?? proxy.host, ...(extra ? { extra } : {}) });
    if (over.depsInstall) await writeFile(path, (await readFile(path, 'utf8')).replace(/depsInstall: .*/, `depsInstall: ${JSON.stringify(over.depsInstall)}`));
    return d;
  };
  const dir = await variant('main');
  const tags = (path: string) => listTags(reg.host, path, auth);
  const local = async () => [...(await localTags(`${proxy.host}/${fullPath}`)), ...(await localTags(`${proxy.host}/${deltaPath}`))];
  const snapshot = async (): Promise<Snapshot> => ({ tags: { [fullPath]: await tags(fullPath), [deltaPath]: await tags(deltaPath) }, local: await local(), head: await repo.head() });
  /** No build moves HEAD or leaves a file in the work tree (everything the cases write is committed). */
  const repoChanges = async (head: string): Promise<string[]> => {
    const now = await repo.head();
    const status = await repo.git(['status', '--porcelain', '--ignored', '--untracked-files=all']);
    return [...(now === head ? [] : [`the repo's HEAD moved from ${head} to ${now}`]), ...(status ? [`the work tree changed:\n${status}`] : [])];
  };
  return {
    app, reg, proxy, repo, work, dir, fullPath, deltaPath, env,
    full: `${proxy.host}/${fullPath}`,
    delta: `${proxy.host}/${deltaPath}`,
    cli: (args, o = {}) => runCli(args, { cwd: o.dir ?? dir, env: { ...env, ...o.env }, timeoutMs: T }),
    variant,
    tags,
    snapshot,
    async lostAfterRecovery(before, pushed) {
      const out: string[] = [];
      for (const path of [fullPath, deltaPath]) {
        const added = (await tags(path)).filter((t) => !(before.tags[path] ?? []).includes(t)).sort();
        const want = [...(pushed[path] ?? [])].sort();
        if (added.join() !== want.join()) out.push(`${path}: new tags [${added.join(', ')}], expected [${want.join(', ')}]`);
        for (const t of added) out.push(...(await wholeTag(reg, auth, path, t)));
      }
      out.push(...(await orphanContainers(app)), ...(await repoChanges(before.head)));
      return out;
    },
    lost: (before) =>
      all(
        orphanContainers(app),
        containersNamed(`deployer-build-${app}`).then((names) => names.map((n) => `build container ${n} left behind`)),
        newTags(reg.host, fullPath, before.tags[fullPath] ?? [], auth),
        newTags(reg.host, deltaPath, before.tags[deltaPath] ?? [], auth),
        repoChanges(before.head),
        local().then((now) => now.filter((t) => !before.local.includes(t)).map((t) => `local tag ${t} left behind`)),
      ),
    async close() {
      await removeRepositories(`${proxy.host}/${fullPath}`, `${proxy.host}/${deltaPath}`);
      await Promise.all([proxy.close(), reg.close(), repo.close(), work.cleanup()]);
    },
  };
}

/** The problems of a tag in the registry: a manifest, config or layer blob that is not there. */
async function wholeTag(reg: Registry, auth: string, path: string, tag: string): Promise<string[]> {
  const headers = { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, accept: 'application/vnd.docker.distribution.manifest.v2+json' };
  const res = await fetch(`${reg.url}/v2/${path}/manifests/${tag}`, { headers });
  if (!res.ok) return [`${path}:${tag}: manifest answers HTTP ${res.status}`];
  const m = (await res.json()) as { config?: { digest: string }; layers?: { digest: string }[] };
  const out: string[] = [];
  for (const d of [m.config?.digest, ...(m.layers ?? []).map((l) => l.digest)]) {
    if (!d) continue;
    const b = await fetch(`${reg.url}/v2/${path}/blobs/${d}`, { method: 'HEAD', headers });
    if (!b.ok) out.push(`${path}:${tag}: blob ${d} answers HTTP ${b.status} (a half-pushed tag)`);
  }
  return out;
}

/**
 * Runs the CLI as a child, waits until `ready(stderr)` holds (polled), then does `act` to it
 * (default: SIGINT, the "interruptible" half of a fault that would otherwise wait a long time).
 */
export async function runUntil(
  w: BuildWorld,
  args: string[],
  ready: (stderr: string) => boolean | Promise<boolean>,
  o: { dir?: string; act?: (child: { kill(sig: NodeJS.Signals): boolean }) => Promise<void> } = {},
): Promise<CliResult> {
  const child = execa(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
    cwd: o.dir ?? w.dir,
    env: { CI: 'true', NO_COLOR: '1', ...w.env },
    reject: false,
    timeout: T,
    stdin: 'ignore',
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  let done = false;
  void child.finally(() => {
    done = true;
  });
  const deadline = Date.now() + 60_000;
  while (!done && !(await ready(stderr)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (!done) await (o.act ?? (async (c) => void c.kill('SIGINT')))(child);
  const r = await child;
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export const interruptWhen = (w: BuildWorld, args: string[], ready: (stderr: string) => boolean, o: { dir?: string } = {}) => runUntil(w, args, ready, o);

export const out = (r: CliResult) => r.stdout + r.stderr;

/** Commits one code change (a new file content), for a case that needs a new revision. */
export function codeCommit(w: BuildWorld, label: string): Promise<string> {
  return w.repo.commit(`code: ${label}`, { write: { 'index.html': `<h1>${label} ${Math.random()}</h1>\n` } });
}

export { removeRepositories };
