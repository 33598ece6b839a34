import { DeployerError, ExitCode } from '../core/errors.js';
import type { Output } from './output.js';

// The one error → exit code map (documented in the README): each DeployerError carries its code;
// anything else is a bug and is reported as one, with its stack.
export function reportError(e: unknown, out: Output, json: boolean): number {
  out.pause();
  if (e instanceof DeployerError) {
    const lines = [`deployer: ${e.message}`, ...e.details.map((d) => `  ${d}`)];
    if (e.hint) lines.push(`hint: ${e.hint}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    if (json) {
      out.print(JSON.stringify({ error: { code: e.code, exitCode: e.exitCode, message: e.message, details: e.details, hint: e.hint } }, null, 2));
    }
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`deployer: unexpected error — this is a bug, please report it with the output below\n${err.stack ?? err.message}\n`);
  if (json) out.print(JSON.stringify({ error: { code: 'internal', exitCode: ExitCode.stepFailed, message: err.message } }, null, 2));
  return ExitCode.stepFailed;
}
