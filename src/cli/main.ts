import { Command, CommanderError } from 'commander';
import { ExitCode, interruptedBy, signalInterruption } from '../core/errors.js';
import type { CommandAction, CommandEnv, ConfigSection, GlobalOptions } from './command.js';
import type { Output } from './output.js';
import { buildProgram } from './program.js';

// Everything a command needs beyond parsing its arguments (adapters, output, the executor) is
// imported when the command runs, not at start-up: `--help` and usage errors load only commander
// and the command definitions (README, "Performance").
const loadOutput = () => import('./output.js');

/** `deployer lock release`, as a person typed it. */
function commandName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Entry point: returns the exit code. Only this function (through bin/deployer) touches
 * process.exitCode; nothing calls process.exit() mid-flight, so streams and spinners flush.
 */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`deployer: second ${sig}, exiting without waiting for cleanup\n`);
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`deployer: ${sig} received, stopping and cleaning up (press again to force)\n`);
    controller.abort(signalInterruption(sig));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `deployer history | head` closes the pipe early: the rest of the output has no reader, but the
  // command (maybe a switch halfway through) must still finish and exit with its own code.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });

  const wantsJson = argv.includes('--json');
  let out: Output | undefined;
  let exitCode = 0;

  const run = <N extends ConfigSection = never>(action: CommandAction<N>, needs: readonly N[] = []) => async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = a[a.length - 2] as Record<string, unknown>;
    const args = a.slice(0, -2).flatMap((x) => (Array.isArray(x) ? x : x === undefined ? [] : [x])) as string[];
    const globals = cmd.optsWithGlobals() as unknown as GlobalOptions;
    const [{ createOutput }, { loadConfig }, { checkRequirements }, { wirePorts }, { runOutcome }] = await Promise.all([
      loadOutput(), import('./config-file.js'), import('./requirements.js'), import('./wire.js'), import('./run.js'),
    ]);
    out = createOutput({ verbose: globals.verbose, json: globals.json });
    const loaded = await loadConfig(globals.config);
    const env: CommandEnv<N> = {
      loaded,
      config: checkRequirements(loaded, commandName(cmd), needs),
      ports: wirePorts(loaded, out, controller.signal),
      out,
      globals,
      signal: controller.signal,
    };
    const outcome = await action(env, args, opts);
    exitCode = await runOutcome(env, outcome);
  };

  const program = buildProgram(run);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; usage errors are exit 2 by our map.
      return e.exitCode === 0 ? 0 : ExitCode.usage;
    }
    const [{ reportError }, { createOutput }] = await Promise.all([import('./errors.js'), loadOutput()]);
    // Interrupted before the executor ran (while gathering facts, planning or confirming): the
    // same exit 130 the executor gives, whatever the interrupted read threw.
    if (controller.signal.aborted) e = interruptedBy(controller.signal);
    return reportError(e, out ?? createOutput({ verbose: false, json: wantsJson }), wantsJson);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
