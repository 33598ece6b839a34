// Helpers for the build tests (full-build, delta-build, verify): the fixture app as a git repo, a
// deployer.yaml with unique image names, and cleanup of everything a test made on the engine.
import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { makeGitRepo, type GitRepo, type RepoFiles } from './git-repo.js';
import { httpGet } from './http.js';

export const WEBAPP = fileURLToPath(new URL('../../fixtures/webapp', import.meta.url));

/** The fixture app's files (modes and symlinks kept), without its demo deployer.yaml. */
export async function webappFiles(): Promise<RepoFiles> {
  const files: RepoFiles = {};
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const rel = relative(WEBAPP, p);
      if (rel === 'deployer.yaml') continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) files[rel] = { symlink: await readlink(p) };
      else files[rel] = { content: await readFile(p, 'utf8'), mode: (await lstat(p)).mode & 0o777 };
    }
  };
  await walk(WEBAPP);
  return files;
}

export async function makeWebappRepo(extra: RepoFiles = {}): Promise<GitRepo> {
  return makeGitRepo({ ...(await webappFiles()), ...extra });
}

/** A name unique to this test process, for image repositories and the app. */
export function uniqueName(prefix = 'b'): string {
  return `${prefix}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export interface BuildTestConfig {
  app: string;
  full: string;
  delta: string;
  registry?: string;
  extra?: string;
}

export const DEPS_INSTALL = 'mkdir -p /app/deps && cp /app/deps.lock /app/deps/installed.txt && echo "deps installed from deps.lock"';

/** Writes deployer.yaml beside (not inside) the repo, so it is never part of the app. */
export async function writeBuildConfig(dir: string, repoDir: string, c: BuildTestConfig): Promise<string> {
  const path = join(dir, 'deployer.yaml');
  await writeFile(path, `app: ${c.app}
${c.registry ? `registry: { host: "${c.registry}" }` : ''}
images: { full: ${c.full}, delta: ${c.delta} }
build:
  context: ${repoDir}
  appDir: /app
changes:
  infra: [Dockerfile, .dockerignore]
  deps: [deps.lock]
  ignore: [README.md]
  depsDir: /app/deps
  depsInstall: ${JSON.stringify(DEPS_INSTALL)}
${c.extra ?? ''}
`);
  return path;
}

const lines = (s: string) => s.split('\n').filter(Boolean);

/** Local tags of a repository (`repo:tag` strings). */
export async function localTags(repository: string): Promise<string[]> {
  const r = await execa('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${repository}`]);
  return lines(r.stdout);
}

/**
 * Removes every local image of the repositories by id (every tag and untagged leftovers). An image
 * with child images (a full image under its deltas) cannot go before them, so this repeats, leaves
 * first, until nothing is left.
 */
export async function removeRepositories(...repositories: string[]): Promise<void> {
  for (let pass = 0; pass < 10; pass++) {
    const ids = new Set<string>();
    for (const repo of repositories) {
      const r = await execa('docker', ['image', 'ls', '-q', '--no-trunc', '--filter', `reference=${repo}`]);
      for (const id of lines(r.stdout)) ids.add(id);
    }
    if (ids.size === 0) return;
    await execa('docker', ['rmi', '-f', ...ids], { reject: false });
  }
}

/** Containers (any state) whose name starts with the prefix. */
export async function containersNamed(prefix: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `name=${prefix}`, '--format', '{{.Names}}']);
  return lines(r.stdout).filter((n) => n.startsWith(prefix));
}

export async function imageInspect(ref: string): Promise<{ Id: string; Config: Record<string, unknown> & { Labels: Record<string, string> }; RootFS: { Layers: string[] } }> {
  const r = await execa('docker', ['image', 'inspect', ref]);
  return (JSON.parse(r.stdout) as never[])[0]!;
}

/** Tags of a repository in a registry (GET /v2/<path>/tags/list), [] when it has none. */
export async function registryTags(url: string, path: string, auth?: { user: string; password: string }): Promise<string[]> {
  const headers = auth ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } : undefined;
  const res = await httpGet(`${url}/v2/${path}/tags/list`, headers ? { headers } : {});
  if (res.status === 404) return [];
  return ((JSON.parse(res.body) as { tags: string[] | null }).tags ?? []).sort();
}

/** Runs argv in a throwaway container of the image (entrypoint replaced), returns stdout. */
export async function runIn(image: string, argv: string[]): Promise<{ stdout: string; exitCode: number }> {
  const [entry, ...args] = argv;
  const r = await execa('docker', ['run', '--rm', '--entrypoint', entry!, image, ...args], { reject: false });
  return { stdout: r.stdout, exitCode: r.exitCode ?? -1 };
}
