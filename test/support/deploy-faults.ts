// The world of the deploy fault cases (test/faults/marathon.test.ts, signals-deploy.test.ts,
// concurrency.test.ts): a git repo whose revisions all run the good app image, the Marathon stand-in
// running them as real containers, and a real nginx with an upstream file and a preview file that
// deployer rewrites. A case takes a fresh revision, injects one fault, runs the CLI (or starts it
// and signals it at a phase it can see), and asks what was left behind.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startCli, type Running } from './cli-child.js';
import { runCli, type CliResult } from './cli.js';
import { buildAppImage, removeImages, tagImage } from './deploy-images.js';
import { makeGitRepo, type GitRepo } from './git-repo.js';
import { startMarathonStandin, type MarathonStandin } from './marathon-standin/index.js';
import { NGINX_BIN, startNginx, type Nginx } from './nginx.js';
import { freePort } from './ports.js';
import { stagedLeftovers, unchangedFile } from './nothing-lost.js';
import { waitFor } from './wait.js';

export const INITIAL_PREVIEW = '# no environments yet\n';
export const INITIAL_UPSTREAM = 'upstream backend {\n    server 127.0.0.1:9;\n}\n';

export interface ConfigOptions {
  instances?: number;
  timeoutSeconds?: number;
  /** deploy.marathon.requestTimeoutSeconds */
  requestTimeoutSeconds?: number;
  /** deploy.marathon.leaderWaitSeconds */
  leaderWaitSeconds?: number;
}

export interface DeployFaultWorld {
  app: string;
  prefix: string;
  marathon: MarathonStandin;
  nginx: Nginx;
  dir: string;
  previewFile: string;
  upstreamFile: string;
  previewPort: number;
  /** Touch this to make the next nginx test (of any file) wait, announcing itself by creating `held`. */
  holdFile: string;
  heldFile: string;
  /** A new commit whose image (`<delta>:<sha>`) exists locally. */
  newRevision(): Promise<string>;
  appId(rev: string): string;
  config(name: string, opts?: ConfigOptions): Promise<string>;
  cli(config: string, args: string[]): Promise<CliResult>;
  start(config: string, args: string[]): Running;
  /** Apps of this world left in the stand-in, and its containers still running for them. */
  leftInMarathon(): Promise<string[]>;
  /** Preview and upstream files byte-identical to `before`, no staged or shadow files beside them. */
  filesUntouched(before: { preview: string; upstream: string }): Promise<string[]>;
  files(): Promise<{ preview: string; upstream: string }>;
  /** `nginx -t` of the live configuration (the files must stay valid nginx whatever happened). */
  nginxValid(): Promise<string[]>;
  /** Removes every app of this world from the stand-in (between cases). */
  destroyAll(): Promise<void>;
  close(): Promise<void>;
}

export async function makeDeployFaultWorld(name: string): Promise<DeployFaultWorld> {
  const app = `${name}-${process.pid}`;
  const prefix = `/${app}`;
  const delta = `deployer-faults/${app}`;
  const repo: GitRepo = await makeGitRepo({ 'README.md': `${name}\n` });
  const images: string[] = [];
  const base = `${delta}:base`;
  await buildAppImage(base, 'good');
  images.push(base);
  const marathon = await startMarathonStandin({ version: '1.10.0', heartbeatIntervalMs: 1000 });
  const previewPort = await freePort();
  const nginx = await startNginx({
    httpConf: ([port]) => `
  include conf.d/backend.conf;
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }
  include conf.d/preview.conf;`,
    files: { 'conf.d/preview.conf': INITIAL_PREVIEW, 'conf.d/backend.conf': INITIAL_UPSTREAM },
  });
  const dir = await mkdtemp(join(tmpdir(), `deployer-faults-${name}-`));
  const previewFile = join(nginx.prefix, 'conf.d', 'preview.conf');
  const upstreamFile = join(nginx.prefix, 'conf.d', 'backend.conf');
  const holdFile = join(dir, 'hold');
  const heldFile = join(dir, 'held');
  // One-shot hold: the first test to find `hold` claims it (mv is atomic) and waits while `held` exists.
  const holdScript = join(dir, 'hold-test.sh');
  await writeFile(holdScript, `#!/bin/sh\nif mv "${holdFile}" "${heldFile}" 2>/dev/null; then\n  while [ -e "${heldFile}" ]; do sleep 0.05; done\nfi\nexec "$@"\n`, { mode: 0o755 });
  const nginxArgv = (...extra: string[]) => [NGINX_BIN, ...nginx.nginxArgs, '-e', nginx.errorLogPath, ...extra];
  let revisions = 0;

  const appsOfWorld = async (): Promise<string[]> => {
    const res = await fetch(`${marathon.url}/v2/apps`);
    const body = (await res.json()) as { apps: { id: string }[] };
    return body.apps.map((a) => a.id).filter((id) => id.startsWith(`${prefix}/`));
  };
  const containersOfWorld = async (): Promise<string[]> => {
    const r = await execa('docker', ['ps', '-a', '--filter', `label=${marathon.containerLabel}`, '--format', '{{.Label "marathon-standin.app"}}']);
    return r.stdout.split('\n').filter((id) => id.startsWith(`${prefix}/`));
  };

  const world: DeployFaultWorld = {
    app,
    prefix,
    marathon,
    nginx,
    dir,
    previewFile,
    upstreamFile,
    previewPort,
    holdFile,
    heldFile,
    async newRevision() {
      const sha = await repo.commit(`r${++revisions}`, { write: { [`r${revisions}.txt`]: `${revisions}\n` } });
      await tagImage(base, `${delta}:${sha}`);
      images.push(`${delta}:${sha}`);
      return sha;
    },
    appId: (rev) => `${prefix}/${rev.slice(0, 12)}`,
    async config(file, opts = {}) {
      const path = join(dir, `${file}.yaml`);
      await writeFile(path, [
        `app: ${app}`,
        `images: { full: ${delta}-full, delta: ${delta} }`,
        `build: { context: ${JSON.stringify(repo.dir)}, appDir: /app }`,
        'deploy:',
        '  scheduler: marathon',
        `  instances: ${opts.instances ?? 1}`,
        '  port: 8000',
        '  healthCheck: { path: /, intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 0 }',
        `  timeoutSeconds: ${opts.timeoutSeconds ?? 30}`,
        `  marathon: { url: ${JSON.stringify(marathon.url)}, appPrefix: ${prefix}, cpus: 0.1, mem: 32${opts.requestTimeoutSeconds ? `, requestTimeoutSeconds: ${opts.requestTimeoutSeconds}` : ''}${opts.leaderWaitSeconds !== undefined ? `, leaderWaitSeconds: ${opts.leaderWaitSeconds}` : ''} }`,
        `preview: { domain: preview.test, listen: "127.0.0.1:${previewPort}" }`,
        'switch:',
        '  upstream: backend',
        `  file: ${upstreamFile}`,
        `  previewFile: ${previewFile}`,
        `  test: ${JSON.stringify(['/bin/sh', holdScript, ...nginxArgv('-t')])}`,
        `  reload: ${JSON.stringify(nginxArgv('-s', 'reload'))}`,
        `  verify: { url: "http://127.0.0.1:${nginx.port}/", timeoutSeconds: 10 }`,
        `  stateDir: ${join(dir, 'state')}`,
        `state: { dir: ${JSON.stringify(join(dir, '.deployer'))} }`,
        '',
      ].join('\n'));
      return path;
    },
    cli: (config, args) => runCli(['--config', config, ...args], { cwd: dir, timeoutMs: 100_000 }),
    start: (config, args) => startCli(['--config', config, ...args], { cwd: dir }),
    async leftInMarathon() {
      const apps = (await appsOfWorld()).map((id) => `Marathon app ${id} left behind`);
      // Marathon kills the tasks of a deleted app in the background: give it the time it takes.
      let containers: string[] = [];
      try {
        await waitFor(async () => (containers = await containersOfWorld()).length === 0 || apps.length > 0, { what: 'task containers to go', timeoutMs: 20_000, intervalMs: 200 });
      } catch {
        // reported below
      }
      return [...apps, ...(apps.length ? [] : containers.map((id) => `task container of ${id} left behind`))];
    },
    async files() {
      return { preview: await readFile(previewFile, 'utf8'), upstream: await readFile(upstreamFile, 'utf8') };
    },
    async filesUntouched(before) {
      return [
        ...(await unchangedFile(previewFile, before.preview)),
        ...(await unchangedFile(upstreamFile, before.upstream)),
        ...(await stagedLeftovers(previewFile, upstreamFile)),
        ...(await shadowLeftovers(join(nginx.prefix, 'conf.d'))),
      ];
    },
    async nginxValid() {
      const r = await nginx.test();
      return r.ok ? [] : [`nginx -t fails on the live configuration:\n${r.output}`];
    },
    async destroyAll() {
      for (const id of await appsOfWorld()) await fetch(`${marathon.url}/v2/apps${id}?force=true`, { method: 'DELETE' });
      marathon.taskData(undefined);
      marathon.flapAfterDeployment(false);
      marathon.rawEvents(undefined);
      marathon.hangDeployments(false);
      await rm(holdFile, { force: true });
      await rm(heldFile, { force: true });
      await writeFile(previewFile, INITIAL_PREVIEW);
      await writeFile(upstreamFile, INITIAL_UPSTREAM);
    },
    async close() {
      await marathon.close();
      await nginx.close();
      await removeImages(...images);
      await repo.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Shadow configs and staged files deployer writes while testing (`.<name>.deployer-…`). */
async function shadowLeftovers(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  return (await readdir(dir)).filter((n) => n.includes('.deployer-')).map((n) => `${join(dir, n)} left behind`);
}
