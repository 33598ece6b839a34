import type { Config } from '../core/config/schema.js';
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import type { ConfigSection, ConfigWith } from './command.js';
import type { LoadedConfig } from './config-file.js';

// The config sections a command cannot run without, checked once, right after the file loaded
// (src/cli/main.ts), so every missing one is reported at once and the error names the real file,
// before any fact is gathered; the command then gets its config typed with those sections.

function problems(config: Config, section: ConfigSection, command: string): ConfigProblem[] {
  switch (section) {
    case 'deploy':
      if (!config.deploy) return [{ path: 'deploy', message: `is required by ${command} (see deployer.example.yaml)` }];
      if (config.deploy.scheduler === 'marathon' && !config.deploy.marathon) return [{ path: 'deploy/marathon', message: 'is required when deploy.scheduler is marathon' }];
      return [];
    case 'switch':
      return config.switch ? [] : [{ path: 'switch', message: `is required by ${command} (see deployer.example.yaml)` }];
    case 'test':
      return config.test ? [] : [{ path: 'test', message: `is required by ${command} (at least test.command)` }];
  }
}

function hasSections<N extends ConfigSection>(config: Config, needs: readonly N[]): config is ConfigWith<N> {
  return needs.every((s) => config[s] !== undefined);
}

/** The loaded config, typed with the sections `needs` names; a ConfigError naming the file without them. */
export function checkRequirements<N extends ConfigSection>(loaded: LoadedConfig, command: string, needs: readonly N[]): ConfigWith<N> {
  const { config } = loaded;
  const found = needs.flatMap((s) => problems(config, s, command));
  if (found.length || !hasSections(config, needs)) {
    throw new ConfigError(loaded.path, found, { hint: `add ${found.length === 1 ? 'it' : 'them'} as deployer.example.yaml shows` });
  }
  return config;
}
