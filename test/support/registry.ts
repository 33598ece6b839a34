// A real Docker registry (Debian's docker-registry, distribution 2.8) on a free loopback port.
//
// The Docker daemon treats 127.0.0.0/8 as insecure registries by default, so pushes to
// 127.0.0.1:<port> go over plain http without any daemon configuration.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { AddrInUseError, LOOPBACK, retryOnAddrInUse } from './ports.js';
import { spawnService, waitUntilReady, type ServiceProcess } from './process.js';
import { httpGet } from './http.js';
import { tmpDir } from './tmp.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** Require HTTP basic auth; the bcrypt htpasswd file is made with `htpasswd -Bbn`. */
  htpasswd?: { user: string; password: string };
}

export interface Registry {
  /** "127.0.0.1:<port>", the registry part of image names. */
  host: string;
  port: number;
  /** "http://127.0.0.1:<port>" */
  url: string;
  /** Temp dir holding config.yml, htpasswd, data/ and registry.log. */
  dir: string;
  configPath: string;
  logPath: string;
  auth?: { user: string; password: string };
  pid: number;
  process: ServiceProcess;
  /** Stops the registry (TERM, KILL after 5 s) and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const tmp = await tmpDir('deployer-registry-');
  try {
    let htpasswdPath: string | undefined;
    if (opts.htpasswd) {
      const { user, password } = opts.htpasswd;
      if (user.includes(':')) throw new Error('htpasswd user must not contain ":"');
      htpasswdPath = join(tmp.path, 'htpasswd');
      const { stdout } = await execa('htpasswd', ['-Bbn', user, password]);
      await writeFile(htpasswdPath, `${stdout.trim()}\n`, { mode: 0o600 });
    }
    const configPath = join(tmp.path, 'config.yml');
    const logPath = join(tmp.path, 'registry.log');

    // Distribution overrides any config key from REGISTRY_* variables (REGISTRY_HTTP_ADDR, ...);
    // drop them so a leftover environment cannot move or reconfigure this instance.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('REGISTRY_')) env[k] = v;

    const { port, proc } = await retryOnAddrInUse(async ([port]) => {
      const config = {
        version: 0.1,
        log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
        storage: {
          filesystem: { rootdirectory: join(tmp.path, 'data') },
          delete: { enabled: true },
          maintenance: { uploadpurging: { enabled: false } },
        },
        http: { addr: `${LOOPBACK}:${port}`, secret: randomBytes(16).toString('hex') },
        ...(htpasswdPath ? { auth: { htpasswd: { realm: 'deployer-test', path: htpasswdPath } } } : {}),
      };
      await writeFile(configPath, stringify(config));
      const proc = await spawnService(REGISTRY_BIN, ['serve', configPath], {
        name: `docker-registry :${port}`,
        logPath,
        cwd: tmp.path,
        env,
        extendEnv: false,
      });
      const expected = htpasswdPath ? 401 : 200;
      await waitUntilReady(
        proc,
        async () => {
          const res = await httpGet(`http://${LOOPBACK}:${port}/v2/`, { timeoutMs: 2000 });
          if (res.status !== expected) throw new Error(`GET /v2/ answered ${res.status}, want ${expected}`);
          // Make sure it is this instance answering, not a stranger that grabbed the port.
          if (res.headers['docker-distribution-api-version'] !== 'registry/2.0') throw new Error('not a registry');
          return true;
        },
        {
          what: `docker-registry on ${LOOPBACK}:${port} to answer GET /v2/ with ${expected}`,
          onExit: (log) =>
            /address already in use/i.test(log) ? new AddrInUseError(port!, 'docker-registry could not bind') : undefined,
        },
      );
      return { port: port!, proc };
    });

    let closing: Promise<void> | undefined;
    return {
      host: `${LOOPBACK}:${port}`,
      port,
      url: `http://${LOOPBACK}:${port}`,
      dir: tmp.path,
      configPath,
      logPath,
      ...(opts.htpasswd ? { auth: { ...opts.htpasswd } } : {}),
      pid: proc.pid,
      process: proc,
      close() {
        closing ??= proc.stop({ signal: 'SIGTERM', graceMs: 5000 }).finally(() => tmp.cleanup());
        return closing;
      },
    };
  } catch (err) {
    await tmp.cleanup();
    throw err;
  }
}
