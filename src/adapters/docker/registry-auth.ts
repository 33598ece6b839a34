import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PreconditionError, UsageError } from '../../core/errors.js';
import { sensitive, type Sensitive } from '../../core/sensitive.js';

// Registry credentials: DEPLOYER_REGISTRY_USER + DEPLOYER_REGISTRY_PASSWORD, else the `auths` entry
// for the host in the Docker CLI's config.json ($DOCKER_CONFIG, default ~/.docker). Wrapped in
// sensitive() here, where they enter; revealed only when a request is made. Credential helpers
// (credsStore/credHelpers) are not run: set the variables instead.

export interface RegistryCredentials {
  username: string;
  password: Sensitive<string>;
  /** For people: where they came from. */
  source: string;
}

export type CredentialsLoader = () => Promise<RegistryCredentials | undefined>;

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `https://127.0.0.1:5000/v1/` and `127.0.0.1:5000` name the same registry. */
export function registryKey(s: string): string {
  return s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
}

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

export async function loadRegistryCredentials(host: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const user = env.DEPLOYER_REGISTRY_USER;
  const password = env.DEPLOYER_REGISTRY_PASSWORD;
  if (user || password) {
    if (!user || password === undefined) {
      throw new UsageError(`${user ? 'DEPLOYER_REGISTRY_PASSWORD' : 'DEPLOYER_REGISTRY_USER'} is not set`, {
        hint: 'set both DEPLOYER_REGISTRY_USER and DEPLOYER_REGISTRY_PASSWORD, or neither (then ~/.docker/config.json is used)',
      });
    }
    return { username: user, password: sensitive(password), source: 'DEPLOYER_REGISTRY_USER/DEPLOYER_REGISTRY_PASSWORD' };
  }
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PreconditionError(`cannot read ${path}: ${(e as Error).message}`, { cause: e, code: 'registry.credentials' });
  }
  let cfg: DockerConfigFile;
  try {
    cfg = JSON.parse(text) as DockerConfigFile;
  } catch (e) {
    throw new PreconditionError(`${path} is not valid JSON`, {
      hint: 'fix the file, or set DEPLOYER_REGISTRY_USER and DEPLOYER_REGISTRY_PASSWORD',
      cause: e,
      code: 'registry.credentials',
    });
  }
  const want = registryKey(host);
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (registryKey(key) !== want) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: sensitive(decoded.slice(colon + 1)), source: path };
    }
    if (entry.username && entry.password !== undefined) {
      return { username: entry.username, password: sensitive(entry.password), source: path };
    }
  }
  return undefined;
}

/** The X-Registry-Auth payload the engine wants; revealed here, at the last moment. */
export function authConfig(host: string, creds: RegistryCredentials | undefined): { username: string; password: string; serveraddress: string } | undefined {
  return creds ? { username: creds.username, password: creds.password.reveal(), serveraddress: host } : undefined;
}
