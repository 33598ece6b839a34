import { gathering } from '../../planners/gathering.js';
import { computeStatus, gatherStatusFacts, planStatus } from '../../planners/status.js';
import type { CommandAction } from '../command.js';
import { statusReport } from '../views/status.js';

export const status: CommandAction<'deploy'> = async (env) => {
  const facts = await gathering(env.ports, () => gatherStatusFacts(env.ports, env.config), env.signal);
  const status = computeStatus(env.config, facts);
  return { plan: planStatus(status), report: () => statusReport(status) };
};
