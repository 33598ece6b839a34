import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { swarmSchema } from '../../../src/core/config/schema.js';
import { deploySpec } from '../../../src/core/deploy/spec.js';
import { ConfigError } from '../../../src/core/errors.js';
import { SWARM_DEFAULTS, swarmServiceSpec } from '../../../src/core/swarm/service-spec.js';
import { currentTasks, describeTask, lastFailure, nodeAddress, taskBackend, taskRunState } from '../../../src/core/swarm/tasks.js';
import type { SwarmNode, SwarmTask } from '../../../src/core/swarm/types.js';

// The swarm service spec deployer POSTs, and how it reads a service's task history back.

const REV = '3f2a9c1e0b7d3f2a9c1e0b7d3f2a9c1e0b7d3f2a';

function config(swarm: string) {
  return parseConfigText([
    'app: web',
    'images: { full: team/web-full, delta: team/web }',
    'build: { appDir: /app }',
    'registry: { host: "registry.example:5000" }',
    'deploy: { scheduler: swarm, instances: 3, port: 8000, healthCheck: { path: /health } }',
    ...(swarm ? [`  ${swarm}`] : []),
  ].join('\n').replace('path: /health } }\n  ', 'path: /health }, '), 'deployer.yaml');
}

const task = (o: Partial<SwarmTask>): SwarmTask => ({
  id: 't', serviceId: 's', slot: 1, nodeId: 'n1', desiredState: 'running', state: 'running', message: 'started',
  ports: [{ target: 8000, published: 30001 }], createdAt: new Date(1000), updatedAt: new Date(1000), ...o,
});
const node = (o: Partial<SwarmNode>): SwarmNode => ({ id: 'n1', hostname: 'node1', addr: '10.1.0.5', state: 'ready', availability: 'active', ...o });

describe('swarm service spec', () => {
  it('the defaults for an omitted deploy.swarm are the schema\'s own', () => {
    expect(SWARM_DEFAULTS).toEqual(swarmSchema.parse({}));
  });

  it('one replicated service with the deployer labels, env, restart policy, placement, resources and host-mode port', () => {
    const c = config('swarm: { restart: { condition: on-failure, delaySeconds: 2, maxAttempts: 5 }, constraints: ["node.labels.role==web"], maxReplicasPerNode: 1, reservations: { cpus: 0.25, mem: 128 }, limits: { cpus: 1, mem: 256 }, stopGracePeriodSeconds: 3 } }');
    const spec = deploySpec(c, REV);
    expect(swarmServiceSpec({ ...spec, image: 'registry.example:5000/team/web@sha256:abc' }, c.deploy!.swarm!)).toEqual({
      Name: 'web-3f2a9c1e0b7d',
      Labels: {
        'deployer.app': 'web', 'deployer.revision': REV, 'deployer.instances': '3', 'deployer.health-path': '/health', 'deployer.port': '8000',
      },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'registry.example:5000/team/web@sha256:abc',
          Env: [`DEPLOYER_REVISION=${REV}`, 'PORT=8000'],
          Labels: { 'deployer.app': 'web', 'deployer.revision': REV },
          StopGracePeriod: 3e9,
        },
        RestartPolicy: { Condition: 'on-failure', Delay: 2e9, MaxAttempts: 5 },
        Placement: { Constraints: ['node.labels.role==web'], MaxReplicas: 1 },
        Resources: { Limits: { NanoCPUs: 1e9, MemoryBytes: 256 * 2 ** 20 }, Reservations: { NanoCPUs: 25e7, MemoryBytes: 128 * 2 ** 20 } },
      },
      Mode: { Replicated: { Replicas: 3 } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8000, PublishMode: 'host' }] },
    });
  });

  it('defaults: restart any every 5s without limit, no constraints or resources', () => {
    const s = swarmServiceSpec(deploySpec(config(''), REV), swarmSchema.parse({}));
    expect(s.TaskTemplate.RestartPolicy).toEqual({ Condition: 'any', Delay: 5e9, MaxAttempts: 0 });
    expect(s.TaskTemplate.Placement).toEqual({ Constraints: [] });
    expect(s.TaskTemplate.Resources).toEqual({});
    expect(s.TaskTemplate.ContainerSpec.StopGracePeriod).toBe(10e9);
  });

  it('a malformed constraint is a config problem with its path', () => {
    const err = (() => {
      try {
        config('swarm: { constraints: ["role=web"] } }');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.details).toEqual(['deploy/swarm/constraints/0: should be like node.labels.role==web or node.role!=manager, got "role=web"']);
  });
});

describe('reading tasks', () => {
  it('the current task of each slot is the one swarm wants running; the newest failed one explains it', () => {
    const tasks = [
      task({ id: 'old', slot: 1, desiredState: 'shutdown', state: 'failed', error: 'task: non-zero exit (3)', createdAt: new Date(1) }),
      task({ id: 'new', slot: 1, desiredState: 'ready', state: 'ready', createdAt: new Date(2) }),
      task({ id: 'two', slot: 2 }),
    ];
    expect(currentTasks(tasks).map((t) => t.id)).toEqual(['new', 'two']);
    expect(lastFailure(tasks, 1)?.id).toBe('old');
    expect(lastFailure(tasks, 2)).toBeUndefined();
    expect(taskRunState(tasks[1]!)).toBe('starting');
    expect(taskRunState(tasks[2]!)).toBeUndefined();
    expect(taskRunState(task({ desiredState: 'remove' }))).toBe('stopped');
    expect(describeTask(tasks[0]!)).toBe('failed: task: non-zero exit (3)');
    expect(describeTask(task({ state: 'pending', message: 'pending task scheduling', error: 'no suitable node (insufficient resources on 1 node)' }))).toBe('pending: no suitable node (insufficient resources on 1 node)');
  });

  it('a backend is the node\'s swarm address and the published port, never a container address', () => {
    const nodes = new Map([['n1', node({})], ['n2', node({ id: 'n2', addr: '0.0.0.0', managerAddr: '10.1.0.6:2377' })]]);
    expect(taskBackend(task({}), nodes, 8000)).toEqual({ host: '10.1.0.5', port: 30001 });
    expect(taskBackend(task({ nodeId: 'n2' }), nodes, 8000)).toEqual({ host: '10.1.0.6', port: 30001 });
    expect(taskBackend(task({ nodeId: 'gone' }), nodes, 8000)).toBeUndefined();
    expect(taskBackend(task({ ports: [] }), nodes, 8000)).toBeUndefined();
    expect(nodeAddress(node({ addr: '', managerAddr: '[::1]:2377' }))).toBe('::1');
    expect(nodeAddress(node({ addr: '0.0.0.0' }))).toBeUndefined();
  });
});
