import type { Command } from 'commander';
import { notImplemented } from '../command.js';
import type { Runner } from '../program.js';

export function registerTestImage(program: Command, run: Runner): void {
  program.command('test-image')
    .description('run the test suite inside the production image; JUnit XML for Jenkins')
    .argument('<rev>', 'revision whose image to test')
    .option('--junit <file>', 'where to write the JUnit report', 'junit_output.xml')
    .action(run(notImplemented('test-image', 'issue 4')));
}
