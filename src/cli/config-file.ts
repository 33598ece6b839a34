import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../core/config/schema.js';
import { ConfigError } from '../core/errors.js';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file. */
  path: string;
  /** Directory relative paths in the file are resolved against. */
  dir: string;
}

export async function loadConfig(file: string, cwd = process.cwd()): Promise<LoadedConfig> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '(file)', message: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(e)})` }], {
      hint: 'pass --config <file>, or copy deployer.example.yaml to deployer.yaml and edit it',
      cause: e,
    });
  }
  // yaml and zod load with the first config, not at start-up (`--help` never needs them).
  const { parseConfigText } = await import('../core/config/parse.js');
  const config = parseConfigText(text, file);
  const dir = dirname(path);
  return { config, path, dir };
}

/** Resolves a path from the config against the config file's directory. */
export function configPath(loaded: LoadedConfig, p: string): string {
  return resolve(loaded.dir, p);
}
