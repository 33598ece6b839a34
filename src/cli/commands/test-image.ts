import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { gatherTestImageFacts, planTestImage } from '../../planners/test-image.js';
import { configPath } from '../config-file.js';
import type { Runner } from '../program.js';
import { testImageReport } from '../views/test-image.js';
import { whoAmI } from '../who.js';

export function registerTestImage(program: Command, run: Runner): void {
  program.command('test-image')
    .description('run the test suite inside the production image (sidecars, smoke checks); JUnit XML for Jenkins; exit 0 pass, 1 fail')
    .argument('<rev>', 'revision whose image to test (a full sha needs no git repository)')
    .option('--junit <file>', 'where to write the JUnit report (relative to the current directory)', 'junit_output.xml')
    .action(run(async (env, [rev], opts) => {
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
    }, ['test']));
}
