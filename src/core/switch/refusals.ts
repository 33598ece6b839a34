import type { TestRecord } from '../../ports/records.js';
import type { EnvironmentInfo } from '../../ports/scheduler.js';
import { PreconditionError, UsageError } from '../errors.js';
import { shortSha } from '../image-ref.js';
import { backendProblems } from '../nginx/validate.js';
import { isPassing } from '../records/attestation.js';

// The refusals of switch and rollback (exit 4, nothing changed), each with what to do about it.

export interface ForceOptions {
  force: boolean;
  reason?: string | undefined;
}

export function checkForceOptions(o: ForceOptions): void {
  if (o.force && !o.reason?.trim()) {
    throw new UsageError('--force needs --reason <text>: a forced switch is recorded with its reason', {
      hint: 'e.g. --force --reason "hotfix, tests run by hand"',
    });
  }
  if (!o.force && o.reason !== undefined) {
    throw new UsageError('--reason is only used with --force');
  }
}

/** The environment must exist and every wanted instance be healthy with a safe backend. */
export function checkEnvironment(env: EnvironmentInfo | undefined, revision: string, action: 'switch' | 'rollback'): EnvironmentInfo {
  const sha12 = shortSha(revision);
  if (!env) {
    throw new PreconditionError(
      action === 'rollback' ? `the rollback target ${sha12} has no environment any more` : `no environment for ${sha12}`,
      {
        code: 'environment.missing',
        hint: action === 'rollback'
          ? `restore it with \`deployer deploy ${revision}\`, then run \`deployer rollback ${sha12}\` again`
          : `deploy it first: \`deployer deploy ${revision}\``,
      },
    );
  }
  const instanceLines = () => env.instances.map((i) => `${i.id}: ${i.state}${i.backend ? ` ${i.backend.host}:${i.backend.port}` : ' (no host:port)'}${i.lastHealth ? ` — ${i.lastHealth}` : ''}`);
  if (env.wanted > 0 && env.healthy >= env.wanted && env.backends.length < env.wanted) {
    // Healthy, yet not addressable: the scheduler reports no usable host port (e.g. port 0).
    const without = env.instances.filter((i) => i.state === 'healthy' && !i.backend).length;
    throw new PreconditionError(`environment ${sha12} has ${env.healthy}/${env.wanted} healthy instances, but ${without} of them report${without === 1 ? 's' : ''} no host and port nginx could proxy to (port 0 or none)`, {
      code: 'backend.missing',
      details: instanceLines(),
      hint: 'check the scheduler\'s port mappings (Marathon task ports, Docker published ports); nothing was written',
    });
  }
  const complete = env.healthy >= env.wanted && env.backends.length >= env.wanted && env.wanted > 0;
  if (!complete) {
    throw new PreconditionError(`environment ${sha12} is not fully healthy (${env.healthy}/${env.wanted} instances healthy)`, {
      code: 'environment.unhealthy',
      details: instanceLines(),
      hint: `wait for it to become healthy (\`deployer status\`), or redeploy: \`deployer destroy ${sha12}\` then \`deployer deploy ${sha12}\``,
    });
  }
  const problems = backendProblems(env.backends);
  if (problems.length) {
    throw new PreconditionError(`environment ${sha12} reports backends that cannot go into an nginx file`, {
      code: 'backend.invalid',
      details: problems,
      hint: 'check the scheduler (container port bindings, Marathon task hosts); nothing was written',
    });
  }
  return env;
}

/**
 * The image must have a passing test-image record: by manifest digest for an environment pinned to
 * one, else by local image id. Forced: allowed, and the reason is what the history records.
 * Returns a note for the plan when forced.
 */
export function checkTested(
  opts: { revision: string; image: string; imageId: string | undefined; record: TestRecord | undefined; digest?: string | undefined; testedDigests?: readonly string[] } & ForceOptions,
): string | undefined {
  const sha12 = shortSha(opts.revision);
  if (isPassing(opts.record)) return undefined;
  const others = opts.testedDigests ?? [];
  let why: string;
  let hint = `run \`deployer test-image ${sha12}\` first, or pass --force --reason "<why>" (recorded in the history)`;
  if (opts.record) {
    why = `the test record for ${opts.digest ?? opts.imageId} shows ${opts.record.junit.failures} failures and ${opts.record.junit.errors} errors`;
  } else if (opts.digest && others.length) {
    why = `the environment runs ${opts.digest}, but the digest that passed test-image for ${sha12} is ${others.join(', ')}: the tag was pushed again after testing, and these bytes were never tested`;
    hint = `deploy the tested bytes: \`deployer destroy ${sha12}\` then \`deployer deploy ${sha12}\` (deploy pins the tested digest), or test these: \`deployer test-image ${sha12}\``;
  } else if (opts.digest) {
    why = `${opts.image} has no passing \`deployer test-image\` record in the registry`;
  } else if (opts.imageId === undefined) {
    why = `${opts.image} is not on this Docker engine, so no test record can be matched to it`;
  } else {
    why = `${opts.image} (${opts.imageId.slice(0, 19)}) has no passing \`deployer test-image\` record`;
  }
  if (opts.force) return `forced past a missing test record: ${why} (reason: ${opts.reason})`;
  throw new PreconditionError(`refusing to make an untested image live: ${why}`, { code: 'image.untested', hint });
}

/** Hosts disagreeing about what is live: refuse unless forced. Returns a note when forced. */
export function checkDrift(lines: readonly string[], o: ForceOptions): string | undefined {
  if (lines.length === 0) return undefined;
  if (o.force) return `forced past drift between hosts (reason: ${o.reason})`;
  throw new PreconditionError('the switch hosts disagree about what is live (drift)', {
    code: 'switch.drift',
    details: [...lines],
    hint: 'find out why (a manual edit, a host that missed a switch), or pass --force --reason "<why>" to overwrite every host',
  });
}
