import { Command, Option } from 'commander';
import type { CommandAction, ConfigSection } from './command.js';
import { registerBuildCommands } from './commands/build.js';
import { registerChanges } from './commands/changes.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerInitCommands } from './commands/init.js';
import { registerServeCommands } from './commands/serve.js';
import { registerSwitchCommands } from './commands/switch.js';
import { registerTestImage } from './commands/test-image.js';
import { DEPLOYER_VERSION } from '../core/version.js';

/** `needs`: the config sections the command requires, checked once after loading. */
export type Runner = <N extends ConfigSection = never>(action: CommandAction<N>, needs?: readonly N[]) => (...a: unknown[]) => Promise<void>;

export const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    a step failed (build, tests, health, verification)
  2    usage or config error (nothing was changed)
  3    lock held by another run
  4    precondition refused (unhealthy, untested, unknown revision, infra change, drift,
       a file changed since the plan)
  130  interrupted (cleanup ran)`;

export function buildProgram(run: Runner): Command {
  const program = new Command('deployer')
    .description('Blue-green deployments: delta image builds, tests in the production image, health-gated environments, zero-downtime nginx switches.')
    .version(DEPLOYER_VERSION)
    .addOption(new Option('-c, --config <file>', 'config file').default('deployer.yaml'))
    .option('--plan', 'print exactly what would be done and change nothing', false)
    .option('--json', 'machine-readable output on stdout', false)
    .option('-v, --verbose', 'more progress detail on stderr', false)
    .option('--events <file>', 'append events (JSON lines) here instead of state.dir/events.jsonl')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    // Set before subcommands are added: commander copies these settings into each subcommand then.
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`deployer: ${s.replace(/^error: /, '')}`),
    });
  registerChanges(program, run);
  registerBuildCommands(program, run);
  registerTestImage(program, run);
  registerDeployCommands(program, run);
  registerSwitchCommands(program, run);
  registerInitCommands(program);
  registerDoctor(program, run);
  registerServeCommands(program, run);
  return program;
}
