import type { DeploySpec } from '../deploy/spec.js';
import { payloadStyle, type PayloadStyle } from './version.js';

// The app definition deployer PUTs: a Docker container of the revision's image in bridge mode with
// one dynamic host port for `deploy.port`, and a Marathon HTTP health check on it. Pure, so the plan
// shows exactly the document the adapter sends.

export interface MarathonPortMapping {
  containerPort: number;
  hostPort: number;
  protocol: 'tcp';
  name: string;
}

export interface MarathonHealthCheck {
  protocol: 'HTTP';
  path: string;
  portIndex: number;
  gracePeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
  maxConsecutiveFailures: number;
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
  const healthChecks: MarathonHealthCheck[] = [{
    protocol: 'HTTP',
    path: hc.path,
    portIndex: 0,
    gracePeriodSeconds: wholeSeconds(hc.gracePeriodSeconds, 0),
    intervalSeconds: wholeSeconds(hc.intervalSeconds, 1),
    timeoutSeconds: wholeSeconds(hc.timeoutSeconds, 1),
    maxConsecutiveFailures: hc.maxConsecutiveFailures,
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
