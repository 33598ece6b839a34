import type { Command } from 'commander';
import { makePlan } from '../../core/plan.js';
import type { CommandEnv } from '../command.js';
import type { Runner } from '../program.js';

// `deployer doctor`: the checks run as the report of a plan with no steps, so `--plan` (which never
// runs a report) probes nothing — not even the registry's throwaway upload.

export function registerDoctor(program: Command, run: Runner): void {
  program.command('doctor')
    .description('check this machine and the config: Node, Docker, registry, scheduler, switch hosts, state dirs (exit 1 if any check fails)')
    .action(run(async (env: CommandEnv) => {
      const plan = makePlan('doctor', `doctor  (${env.loaded.path})`, {}, [], [
        'checks Node.js, the Docker engine, the registry (with a probe upload it cancels), the scheduler, every switch host and the state dirs',
      ]);
      return {
        plan,
        report: async () => {
          const [{ wireDoctor }, { runDoctorChecks }, { doctorReport }, { configPath }] = await Promise.all([
            import('../wire.js'), import('../../planners/doctor.js'), import('../views/doctor.js'), import('../config-file.js'),
          ]);
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
    }));
}
