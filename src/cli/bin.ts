// Runs the CLI from source (tests run it through tsx so they need no build step).
import { ExitCode } from '../core/errors.js';
import { main } from './main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
  // An interrupted run has finished its cleanup when main returns; what is still pending is a read
  // it abandoned (a Docker API or registry that accepts and never answers keeps its socket open).
  // Give the output time to drain, then end instead of hanging on it. The timer does not keep the
  // process alive itself: a run with nothing pending exits at once.
  if (code === ExitCode.interrupted) setTimeout(() => process.exit(code), 2000).unref();
});
