import type { DeploySpec } from '../deploy/spec.js';
import { PreconditionError } from '../errors.js';
import { atLeast, parseMarathonVersion, payloadStyle, type PayloadStyle } from './version.js';

// The app definition deployer PUTs: a Docker container of the revision's image in bridge mode with
// one dynamic host port for `deploy.port`, and an HTTP health check on it. Pure, so the plan shows
// exactly the document the adapter sends.
//
// The check's protocol is deploy.marathon.healthCheck.protocol. HTTP (the default) is run by the
// Marathon leader: deprecated since 1.4 but accepted by every version up to the last (1.10), so a
// config keeps working wherever it is pointed. MESOS_HTTP is run by the Mesos agent next to the task
// (1.4+); with it `maxConsecutiveFailures: 0` kills at the first failure instead of never
// (docs/marathon-api.md §1.3), which the config check refuses.

export type MarathonHealthProtocol = 'HTTP' | 'MESOS_HTTP';

export interface MarathonPortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp';
  name: string;
}

export interface MarathonHealthCheck {
  protocol: MarathonHealthProtocol;
  path: string;
  portIndex: number;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
  /** Mesos checks only: Marathon's default is 15 s before the first check; the grace period covers start-up. */
  delaySeconds?: number;
}

export interface MarathonAppDefinition {
  id: string;
  instances: number;
  cpus: number;
  mem: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  networks?: { mode: 'container/bridge' }[];
  container: {
    type: 'DOCKER';
    docker: {
      image: string;
      forcePullImage: boolean;
      network?: 'BRIDGE';
      portMappings?: MarathonPortMapping[];
    };
    portMappings?: MarathonPortMapping[];
  };
  healthChecks: MarathonHealthCheck[];
}

export interface MarathonAppOptions {
  appId: string;
  /** From /v2/info: decides the payload style. */
  version: string;
  cpus: number;
  mem: number;
  /** Default HTTP. */
  healthProtocol?: MarathonHealthProtocol;
}

/** Marathon's health check fields are whole seconds; round up so a check is never stricter than configured. */
const wholeSeconds = (s: number, min: number): number => Math.max(min, Math.ceil(s));

export function buildAppDefinition(spec: DeploySpec, opts: MarathonAppOptions): MarathonAppDefinition {
  const style: PayloadStyle = payloadStyle(opts.version);
  const mapping: MarathonPortMapping = { containerPort: spec.port, hostPort: 0, protocol: 'tcp', name: 'http' };
  const hc = spec.healthCheck;
  const base = {
    id: opts.appId,
    instances: spec.instances,
    cpus: opts.cpus,
    mem: opts.mem,
    env: { ...spec.env },
    labels: { ...spec.labels },
  };
  const protocol = healthProtocolFor(opts);
  const healthChecks: MarathonHealthCheck[] = [{
    protocol,
    path: hc.path,
    portIndex: 0,
    gracePeriodSeconds: wholeSeconds(hc.gracePeriodSeconds, 0),
    intervalSeconds: wholeSeconds(hc.intervalSeconds, 1),
    timeoutSeconds: wholeSeconds(hc.timeoutSeconds, 1),
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
    ...(protocol === 'MESOS_HTTP' ? { delaySeconds: 0 } : {}),
  }];
  // forcePullImage stays false: tags are revisions, so an image already on an agent is the right one.
  if (style === 'legacy') {
    return {
      ...base,
      container: { type: 'DOCKER', docker: { image: spec.image, forcePullImage: false, network: 'BRIDGE', portMappings: [mapping] } },
      healthChecks,
    };
  }
  return {
    ...base,
    networks: [{ mode: 'container/bridge' }],
    container: { type: 'DOCKER', docker: { image: spec.image, forcePullImage: false }, portMappings: [mapping] },
    healthChecks,
  };
}

/** MESOS_HTTP exists since 1.4; an unparseable version is given the benefit of the doubt, as for the payload style. */
function healthProtocolFor(opts: MarathonAppOptions): MarathonHealthProtocol {
  const protocol = opts.healthProtocol ?? 'HTTP';
  const v = parseMarathonVersion(opts.version);
  if (protocol === 'MESOS_HTTP' && v && !atLeast(v, 1, 4)) {
    throw new PreconditionError(`Marathon ${opts.version} has no MESOS_HTTP health checks (they came with 1.4)`, {
      code: 'marathon.health-protocol',
      hint: 'set deploy.marathon.healthCheck.protocol to HTTP for this Marathon',
    });
  }
  return protocol;
}
