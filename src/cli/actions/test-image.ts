import { randomUUID } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { gatherTestImageFacts, planTestImage } from '../../planners/test-image.js';
import type { CommandAction } from '../command.js';
import { configPath } from '../config-file.js';
import { testImageReport } from '../views/test-image.js';
import { whoAmI } from '../who.js';

export const testImage: CommandAction<'test'> = async (env, [rev], opts) => {
  const test = env.config.test;
  const facts = await gatherTestImageFacts(env.ports, env.config, rev!, env.signal);
  const junitDisplay = String(opts.junit);
  const stateDir = configPath(env.loaded, env.config.state.dir);
  const plan = planTestImage(env.config, test, facts, {
    runId: randomUUID(),
    junitFile: resolve(process.cwd(), junitDisplay),
    junitDisplay,
    recordsDir: `${facts.local?.digest ?? facts.remote?.digest ? `the registry ${facts.registry} and ` : ''}${relative(process.cwd(), stateDir) || '.'}`,
    by: whoAmI(),
    configFile: env.globals.config,
  });
  return { plan, report: (results) => testImageReport(facts, results) };
};
