import { classify, gatherChangeFacts, planChanges } from '../../planners/changes.js';
import type { CommandAction } from '../command.js';
import { changesReport } from '../views/changes.js';

export const changes: CommandAction = async (env, [from, to]) => {
  const result = classify(env.config, await gatherChangeFacts(env.ports.git, from!, to ?? 'HEAD'));
  return { plan: planChanges(result), report: () => changesReport(result) };
};
