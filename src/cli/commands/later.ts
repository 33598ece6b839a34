import type { CommandAction, ConfigSection } from '../command.js';

/**
 * A command's action from a module loaded only when that command runs: `--help`, usage errors and
 * every other command skip its planners, views and their imports (README, "Performance").
 */
export function later<N extends ConfigSection = never>(load: () => Promise<CommandAction<N>>): CommandAction<N> {
  return async (env, args, opts) => (await load())(env, args, opts);
}
