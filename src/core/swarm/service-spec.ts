import type { DeployConfig, SwarmConfig } from '../config/schema.js';
import { ENV_LABELS, type DeploySpec } from '../deploy/spec.js';
import { LABELS, shortSha } from '../image-ref.js';
import type { SwarmResources, SwarmServiceSpec } from './types.js';

// One environment = one replicated swarm service `<app>-<sha12>`, decided purely from the deploy
// spec and deploy.swarm, so `deploy --plan` can print the exact spec before anything exists.

const NS_PER_S = 1e9;

/**
 * The defaults of deploy.swarm when the section is omitted: a constant, not swarmSchema.parse({}),
 * so that loading the deploy planner (every command's --help) does not load zod (README
 * "Performance"); test/unit/deploy/swarm.test.ts keeps it equal to the schema's defaults.
 */
export const SWARM_DEFAULTS: SwarmConfig = {
  restart: { condition: 'any', delaySeconds: 5, maxAttempts: 0 },
  constraints: [],
  stopGracePeriodSeconds: 10,
  maxReplicasPerNode: 0,
};

/** deploy.swarm with its defaults, also when the section is omitted. */
export function swarmConfigOf(deploy: DeployConfig): SwarmConfig {
  return deploy.swarm ?? SWARM_DEFAULTS;
}

/** `<app>-<sha12>`: the service name, also the environment id. */
export function swarmServiceName(app: string, revision: string): string {
  return `${app}-${shortSha(revision)}`;
}

function resources(r: { cpus?: number | undefined; mem?: number | undefined } | undefined): SwarmResources | undefined {
  if (!r || (r.cpus === undefined && r.mem === undefined)) return undefined;
  return {
    ...(r.cpus !== undefined ? { NanoCPUs: Math.round(r.cpus * NS_PER_S) } : {}),
    ...(r.mem !== undefined ? { MemoryBytes: Math.round(r.mem * 1024 * 1024) } : {}),
  };
}

export function swarmServiceSpec(spec: DeploySpec, swarm: SwarmConfig): SwarmServiceSpec {
  const identity = { ...spec.labels, [LABELS.app]: spec.app, [LABELS.revision]: spec.revision };
  const limits = resources(swarm.limits);
  const reservations = resources(swarm.reservations);
  return {
    Name: swarmServiceName(spec.app, spec.revision),
    Labels: {
      ...identity,
      [ENV_LABELS.instances]: String(spec.instances),
      [ENV_LABELS.healthPath]: spec.healthCheck.path,
      [ENV_LABELS.port]: String(spec.port),
    },
    TaskTemplate: {
      ContainerSpec: {
        // Passed as the planner gave it: a repo@sha256 ref pins every node to the same image; a tag
        // is resolved by each node when it pulls (the docker CLI pins tags client-side, the API does not).
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        // Not ENV_LABELS.instance: the docker scheduler counts containers carrying it as its own.
        Labels: identity,
        StopGracePeriod: Math.round(swarm.stopGracePeriodSeconds * NS_PER_S),
      },
      RestartPolicy: {
        Condition: swarm.restart.condition,
        Delay: Math.round(swarm.restart.delaySeconds * NS_PER_S),
        MaxAttempts: swarm.restart.maxAttempts,
      },
      Placement: {
        Constraints: [...swarm.constraints],
        ...(swarm.maxReplicasPerNode > 0 ? { MaxReplicas: swarm.maxReplicasPerNode } : {}),
      },
      Resources: { ...(limits ? { Limits: limits } : {}), ...(reservations ? { Reservations: reservations } : {}) },
    },
    Mode: { Replicated: { Replicas: spec.instances } },
    // Host mode: every task publishes the port on its own node at a port the node picks, and that
    // node address + port is one backend (Marathon's host:port). The ingress mesh would hide which
    // task answers, so a health check could not tell the tasks apart.
    EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: spec.port, PublishMode: 'host' }] },
  };
}
