import type { Command } from 'commander';
import type { Runner } from '../program.js';
import { later } from './later.js';

export function registerTestImage(program: Command, run: Runner): void {
  program.command('test-image')
    .description('run the test suite inside the production image (sidecars, smoke checks); JUnit XML for Jenkins; exit 0 pass, 1 fail')
    .argument('<rev>', 'revision whose image to test (a full sha needs no git repository)')
    .option('--junit <file>', 'where to write the JUnit report (relative to the current directory)', 'junit_output.xml')
    .action(run(later(() => import('../actions/test-image.js').then((m) => m.testImage)), ['test']));
}
