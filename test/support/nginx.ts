// A real nginx master (daemon off, 2 workers) in its own prefix, for upstream-switch tests.
//
// Everything nginx writes stays in the prefix: pid, error/access logs, and all five temp paths
// (Debian's build defaults them to /var/lib/nginx). Startup messages that precede config parsing
// go to the compiled-in /var/log/nginx/error.log unless `-e` is given, so this helper passes
// `-e <prefix>/logs/error.log` to every nginx it runs; `nginxArgs` (the -p/-c pair) is what code
// under test should use.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { execa } from 'execa';
import { AddrInUseError, LOOPBACK, freePorts, retryOnAddrInUse } from './ports.js';
import { children, isAlive, spawnService, waitUntilReady, type ServiceProcess } from './process.js';
import { tmpDir } from './tmp.js';
import { StopWaiting, waitFor } from './wait.js';

export { httpGet, type HttpResponse } from './http.js';

export const NGINX_BIN = '/usr/sbin/nginx';
const WORKERS = 2;

export interface NginxOptions {
  /**
   * Directives placed inside http{}. Either a string (listen ports chosen by the caller, e.g. with
   * nginxPorts()), or a function of freshly allocated ports; with a function, a start that fails
   * with "address in use" is retried on new ports.
   */
  httpConf: string | ((ports: number[]) => string);
  /** How many ports to allocate for a function httpConf (default 1). */
  ports?: number;
  /** Extra files relative to the prefix, e.g. { 'conf.d/backend.conf': 'server 127.0.0.1:9;' }. */
  files?: Record<string, string>;
  /** Directives in the main context, before events{} (e.g. Debian's `include modules-enabled/*.conf;`). */
  mainConf?: string;
  /** Empty directories relative to the prefix (a glob's directory that holds nothing yet). */
  dirs?: string[];
}

export interface NginxTestResult {
  ok: boolean;
  exitCode: number;
  /** nginx -t writes everything to stderr. */
  output: string;
}

export interface Nginx {
  /** Prefix dir (also the temp dir); relative includes in httpConf resolve against it. */
  prefix: string;
  confPath: string;
  /** First allocated port (function httpConf only). */
  port?: number;
  ports: number[];
  /** ['-p', prefix, '-c', confPath] */
  nginxArgs: string[];
  pidPath: string;
  errorLogPath: string;
  accessLogPath: string;
  /** Master pid. */
  pid: number;
  process: ServiceProcess;
  /** Current worker pids (children of the master). */
  workerPids(): number[];
  /** Writes a file relative to the prefix (creating directories), e.g. a changed include. */
  writeFile(rel: string, content: string): Promise<void>;
  /** `nginx -t` on the current files; never throws for a bad config. */
  test(): Promise<NginxTestResult>;
  /**
   * `nginx -s reload`, then waits until the new configuration is live: new workers are up and
   * every old worker has exited. Throws on a syntax error (exit 1) and when the master logs an
   * [emerg] while applying the config (nginx keeps the old config then, but -s reload exits 0).
   */
  reload(): Promise<void>;
  /** QUIT the master, KILL the group after 5 s, wait until master and workers are gone, remove the prefix. */
  close(): Promise<void>;
}

/** Allocates free loopback ports to put into httpConf `listen 127.0.0.1:<port>` lines. */
export const nginxPorts = (n = 1): Promise<number[]> => freePorts(n);

function safeRel(rel: string): string {
  const n = normalize(rel);
  if (isAbsolute(n) || n === '..' || n.startsWith('../')) throw new Error(`path must stay inside the prefix: ${rel}`);
  return n;
}

export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const tmp = await tmpDir('deployer-nginx-');
  const prefix = tmp.path;
  const confPath = join(prefix, 'nginx.conf');
  const pidPath = join(prefix, 'nginx.pid');
  const errorLogPath = join(prefix, 'logs', 'error.log');
  const accessLogPath = join(prefix, 'logs', 'access.log');
  const nginxArgs = ['-p', `${prefix}/`, '-c', confPath];
  const withE = (...extra: string[]) => [...nginxArgs, '-e', errorLogPath, ...extra];

  const writeRel = async (rel: string, content: string) => {
    const path = join(prefix, safeRel(rel));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  };

  const nginxTest = async (): Promise<NginxTestResult> => {
    const r = await execa(NGINX_BIN, withE('-t'), { reject: false, all: true });
    return { ok: r.exitCode === 0, exitCode: r.exitCode ?? -1, output: r.all ?? '' };
  };

  try {
    await mkdir(join(prefix, 'logs'), { recursive: true });
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(prefix, 'tmp', t), { recursive: true });
    for (const [rel, content] of Object.entries(opts.files ?? {})) await writeRel(rel, content);
    for (const rel of opts.dirs ?? []) await mkdir(join(prefix, safeRel(rel)), { recursive: true });

    const launch = async (ports: number[]) => {
      const httpConf = typeof opts.httpConf === 'function' ? opts.httpConf(ports) : opts.httpConf;
      await writeFile(confPath, renderMainConf({ prefix, pidPath, errorLogPath, accessLogPath, httpConf, mainConf: opts.mainConf ?? '' }));
      const t = await nginxTest();
      if (!t.ok) throw new Error(`nginx -t failed for ${confPath}:\n${t.output}`);
      const proc = await spawnService(NGINX_BIN, withE(), {
        name: 'nginx',
        logPath: join(prefix, 'logs', 'stderr.log'),
        cwd: prefix,
      });
      await waitUntilReady(
        proc,
        async () => {
          // The pid file is written after the listen sockets are bound, just before workers fork.
          const pidText = await readFile(pidPath, 'utf8').catch(() => '');
          return Number(pidText.trim()) === proc.pid && children(proc.pid).length >= WORKERS;
        },
        {
          what: `nginx master ${proc.pid} to write ${pidPath} and start ${WORKERS} workers`,
          onExit: (log) => {
            const m = /bind\(\) to [\d.]+:(\d+) failed \(98: Address already in use\)/.exec(log);
            return m ? new AddrInUseError(Number(m[1]), 'nginx could not bind') : undefined;
          },
        },
      );
      return { proc, ports };
    };

    let started: { proc: ServiceProcess; ports: number[] };
    if (typeof opts.httpConf === 'function') {
      started = await retryOnAddrInUse(launch, { ports: opts.ports ?? 1 });
    } else {
      started = await launch([]);
    }
    const { proc, ports } = started;
    const workerPids = () => children(proc.pid).map((p) => p.pid);
    let closing: Promise<void> | undefined;

    return {
      prefix,
      confPath,
      ...(ports.length ? { port: ports[0] } : {}),
      ports,
      nginxArgs,
      pidPath,
      errorLogPath,
      accessLogPath,
      pid: proc.pid,
      process: proc,
      workerPids,
      writeFile: writeRel,
      test: nginxTest,
      async reload() {
        if (proc.hasExited()) throw new Error(`nginx master ${proc.pid} is not running:\n${proc.logTail()}`);
        const before = new Set(workerPids());
        const logOffset = (await stat(errorLogPath).catch(() => ({ size: 0 }))).size;
        const r = await execa(NGINX_BIN, withE('-s', 'reload'), { reject: false, all: true });
        if (r.exitCode !== 0) throw new Error(`nginx -s reload failed (exit ${r.exitCode}):\n${r.all}`);
        await waitFor(
          async () => {
            const log = (await readFile(errorLogPath, 'utf8')).slice(logOffset);
            const emerg = log.split('\n').find((l) => /\[(emerg|alert)\]/.test(l));
            if (emerg) throw new StopWaiting(`nginx kept its old config; the master logged: ${emerg}`);
            if (proc.hasExited()) throw new StopWaiting(`nginx master exited during reload:\n${proc.logTail()}`);
            const now = workerPids();
            const fresh = now.filter((p) => !before.has(p));
            const oldLeft = [...before].filter((p) => isAlive(p));
            return fresh.length >= WORKERS && oldLeft.length === 0;
          },
          { what: `nginx ${prefix} to replace its workers after reload`, timeoutMs: 15_000, intervalMs: 25 },
        ).catch((err: unknown) => {
          throw err instanceof StopWaiting ? new Error(`nginx reload failed: ${err.message}`) : err;
        });
      },
      close() {
        closing ??= proc.stop({ signal: 'SIGQUIT', graceMs: 5000 }).finally(() => tmp.cleanup());
        return closing;
      },
    };
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
}

function renderMainConf(p: {
  prefix: string;
  pidPath: string;
  errorLogPath: string;
  accessLogPath: string;
  httpConf: string;
  mainConf: string;
}): string {
  const t = (name: string) => join(p.prefix, 'tmp', name);
  return `# generated by test/support/nginx.ts
daemon off;
master_process on;
worker_processes ${WORKERS};
${process.getuid?.() === 0 ? 'user root;' : '# not root: workers run as the current user'}
pid ${p.pidPath};
error_log ${p.errorLogPath} notice;
${p.mainConf}
events {
  worker_connections 256;
}

http {
  access_log ${p.accessLogPath};
  client_body_temp_path ${t('client_body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};

${p.httpConf}
}
`;
}

export { LOOPBACK };
