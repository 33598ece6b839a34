import { doctorExitCode, type CheckResult } from '../../core/doctor/checks.js';
import { renderDoctor } from '../../core/doctor/render.js';
import type { Paint } from '../../core/render-plan.js';
import type { Report } from '../command.js';

// `deployer doctor`: one line per check (src/core/doctor/render.ts); a failed check is the
// command's finding, so the verdict makes it exit 1.

export function doctorReport(configFile: string, results: readonly CheckResult[], paint: Paint): Report {
  const ok = doctorExitCode(results) === 0;
  return {
    text: renderDoctor(`(${configFile})`, results, paint),
    json: { command: 'doctor', ok, checks: results },
    verdict: ok ? 'passed' : 'failed',
  };
}
