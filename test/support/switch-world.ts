// A small production for switch tests: a git repo with revisions, app images for them (built FROM
// the base image), their environments deployed by the CLI on the docker (or swarm) scheduler, passing test
// records, and real nginx instances whose upstream file deployer rewrites.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { fileRecordStore } from '../../src/adapters/records-file.js';
import { runCli, ROOT, type CliResult } from './cli.js';
import { DEPLOY_TEST_LABEL, removeAppContainers, removeImages } from './deploy-images.js';
import { makeGitRepo, type GitRepo } from './git-repo.js';
import { startNginx, type Nginx } from './nginx.js';
import { removeAppServices } from './swarm.js';

/** The include deployer rewrites, before any switch: a backend nothing listens on. */
export const INITIAL_UPSTREAM = 'upstream backend {\n    server 127.0.0.1:9;\n}\n';

/**
 * One image per revision, each with its own image id (a label differs), as real builds of different
 * revisions would have: test records are keyed by image id.
 */
export async function buildRevisionImage(tag: string, rev: string): Promise<void> {
  const dockerfile = `FROM deployer-base/busybox:latest\nRUN mkdir -p /app && echo 'hello' > /app/index.html\nCMD ["/bin/revision-server"]\n`;
  await execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '--label', `deployer.test-revision=${rev}`, '-t', tag, '-'], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    input: dockerfile,
  });
}

/** nginx serving `upstream backend` on one port (keep-alive to clients as nginx's default). */
export function startLbNginx(extraHttp = ''): Promise<Nginx> {
  return startNginx({
    httpConf: ([port]) => `  include conf.d/backend.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_next_upstream error timeout;
    }
  }
${extraHttp}`,
    files: { 'conf.d/backend.conf': INITIAL_UPSTREAM },
  });
}

/** nginx serving `upstream backend` and including the preview file (a deployer-written preview.conf). */
export function startPreviewNginx(): Promise<Nginx> {
  return startNginx({
    httpConf: ([port]) => `  include conf.d/backend.conf;
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }
  include conf.d/preview.conf;`,
    files: { 'conf.d/backend.conf': INITIAL_UPSTREAM, 'conf.d/preview.conf': '# no environments yet\n' },
  });
}

/** Argv of nginx for this instance, for switch.test / switch.reload. */
export function nginxArgv(n: Nginx, ...extra: string[]): string[] {
  return ['/usr/sbin/nginx', ...n.nginxArgs, '-e', n.errorLogPath, ...extra];
}

/** The `switch:` section for one local nginx whose upstream file deployer rewrites. */
export function switchSection(n: Nginx, stateDir: string, opts: { verifyTimeoutSeconds?: number; previewFile?: boolean } = {}): string[] {
  return [
    'switch:',
    '  upstream: backend',
    `  file: ${n.prefix}/conf.d/backend.conf`,
    ...(opts.previewFile ? [`  previewFile: ${n.prefix}/conf.d/preview.conf`] : []),
    `  test: ${JSON.stringify(nginxArgv(n, '-t'))}`,
    `  reload: ${JSON.stringify(nginxArgv(n, '-s', 'reload'))}`,
    `  verify: { url: "http://127.0.0.1:${n.port}/", timeoutSeconds: ${opts.verifyTimeoutSeconds ?? 30} }`,
    `  stateDir: ${stateDir}`,
  ];
}

export interface World {
  app: string;
  delta: string;
  repo: GitRepo;
  dir: string;
  revs: string[];
  cli(args: string[], opts?: { config?: string; timeoutMs?: number }): Promise<CliResult>;
  /** Writes a passing test-image record for the revision's image. */
  markTested(rev: string): Promise<void>;
  /** `scheduler: swarm` adds `deploySwarm` under deploy (fast restarts and stops by default); `scheduler:
   *  marathon` adds `deployMarathon` (the `marathon:` settings) under deploy. */
  writeConfig(name: string, lines: string[], opts?: { instances?: number; scheduler?: 'docker' | 'swarm' | 'marathon'; deploySwarm?: string; deployMarathon?: string }): Promise<string>;
  /** `deployer deploy` each revision (it must succeed), then marks it tested. */
  deployTested(...revs: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function makeWorld(name: string, revisions: number): Promise<World> {
  const app = `${name}-${process.pid}`;
  const delta = `deployer-e2e/${app}`;
  const repo = await makeGitRepo({ 'README.md': 'app\n' });
  const revs = [repo.initialSha];
  for (let i = 1; i < revisions; i++) revs.push(await repo.commit(`r${i}`, { write: { [`f${i}.txt`]: `${i}\n` } }));
  for (const r of revs) await buildRevisionImage(`${delta}:${r}`, r);
  const dir = await mkdtemp(join(tmpdir(), `deployer-${name}-`));
  let usesSwarm = false;
  const world: World = {
    app,
    delta,
    repo,
    dir,
    revs,
    cli: (args, opts = {}) => runCli(['--config', join(dir, opts.config ?? 'deployer.yaml'), ...args], { cwd: dir, timeoutMs: opts.timeoutMs ?? 120_000 }),
    async markTested(rev) {
      const id = (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', `${delta}:${rev}`])).stdout.trim();
      await fileRecordStore(join(dir, '.deployer')).put({
        imageId: id, image: `${delta}:${rev}`, revision: rev, passedAt: new Date().toISOString(), by: 'test', junit: { tests: 1, failures: 0, errors: 0, skipped: 0 },
      });
    },
    async deployTested(...revs) {
      for (const r of revs) {
        const d = await world.cli(['deploy', r]);
        if (d.exitCode !== 0) throw new Error(`deploy ${r} exited ${d.exitCode}: ${d.stderr}`);
        await world.markTested(r);
      }
    },
    async writeConfig(file, lines, opts = {}) {
      if (opts.scheduler === 'swarm') usesSwarm = true;
      const path = join(dir, file);
      await writeFile(path, [
        `app: ${app}`,
        `images: { full: ${delta}-full, delta: ${delta} }`,
        `build: { context: ${JSON.stringify(repo.dir)}, appDir: /app }`,
        'deploy:',
        `  scheduler: ${opts.scheduler ?? 'docker'}`,
        ...(opts.scheduler === 'swarm' ? [`  swarm: ${opts.deploySwarm ?? '{ restart: { delaySeconds: 1 }, stopGracePeriodSeconds: 1 }'}`] : []),
        ...(opts.scheduler === 'marathon' ? [`  marathon: ${opts.deployMarathon ?? '{}'}`] : []),
        `  instances: ${opts.instances ?? 1}`,
        '  port: 8000',
        '  healthCheck: { path: /, intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 2 }',
        '  timeoutSeconds: 30',
        `state: { dir: ${JSON.stringify(join(dir, '.deployer'))} }`,
        ...lines,
      ].join('\n'));
      return path;
    },
    async close() {
      if (usesSwarm) await removeAppServices(app);
      await removeAppContainers(app);
      await removeImages(...revs.map((r) => `${delta}:${r}`));
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Every file under a directory with its bytes, mode and owner (to prove "nothing changed"). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[`${p}/`] = 'dir';
        await walk(p);
      } else if (e.isFile()) {
        const st = await stat(p);
        out[p] = `${st.mode.toString(8)} ${st.uid}:${st.gid} ${(await readFile(p)).toString('base64')}`;
      }
    }
  };
  await walk(dir);
  return out;
}

export { ROOT };
