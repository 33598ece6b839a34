import { makePlan } from '../../core/plan.js';
import { runDoctorChecks } from '../../planners/doctor.js';
import type { CommandAction } from '../command.js';
import { configPath } from '../config-file.js';
import { doctorReport } from '../views/doctor.js';
import { wireDoctor } from '../wire.js';

// `deployer doctor`: the checks run as the report of a plan with no steps, so `--plan` (which never
// runs a report) probes nothing — not even the registry's throwaway upload.

export const doctor: CommandAction = async (env) => {
  const plan = makePlan('doctor', `doctor  (${env.loaded.path})`, {}, [], [
    'checks Node.js, the Docker engine, the registry (with a probe upload it cancels), the scheduler, every switch host and the state dirs',
  ]);
  return {
    plan,
    report: async () => {
      const doctor = wireDoctor(env.loaded, env.out);
      let results;
      try {
        results = await runDoctorChecks({ doctor, scheduler: env.ports.scheduler, lb: env.ports.lb }, env.config, {
          stateDir: configPath(env.loaded, env.config.state.dir),
        });
      } finally {
        await env.ports.lb.closeAll();
      }
      return doctorReport(env.loaded.path, results, env.out.paint);
    },
  };
};
