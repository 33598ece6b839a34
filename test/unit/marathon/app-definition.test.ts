import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DeploySpec } from '../../../src/core/deploy/spec.js';
import { appPath, marathonAppId } from '../../../src/core/marathon/app-id.js';
import { buildAppDefinition } from '../../../src/core/marathon/app-definition.js';
import { PreconditionError } from '../../../src/core/errors.js';
import { parseMarathonVersion, payloadStyle } from '../../../src/core/marathon/version.js';

const SHA = '3f2a9c1e0b7d4c5e6f708192a3b4c5d6e7f80912';
const spec: DeploySpec = {
  app: 'web-app',
  revision: SHA,
  image: 'registry.example:5000/web-app:' + SHA,
  instances: 3,
  port: 8000,
  env: { DEPLOYER_REVISION: SHA },
  labels: { 'deployer.app': 'web-app', 'deployer.revision': SHA },
  healthCheck: { path: '/health', intervalSeconds: 2, timeoutSeconds: 1.5, gracePeriodSeconds: 0, maxConsecutiveFailures: 3 },
  timeoutSeconds: 300,
};
const fixture = (f: string) => JSON.parse(readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const opts = { appId: marathonAppId('/web-app', SHA), cpus: 0.5, mem: 512 };

describe('marathon app id', () => {
  it('is <appPrefix>/<sha12>, appended to /v2/apps as a path', () => {
    expect(marathonAppId('/web-app', SHA)).toBe('/web-app/3f2a9c1e0b7d');
    expect(marathonAppId('/team/web-app/', SHA)).toBe('/team/web-app/3f2a9c1e0b7d');
    expect(appPath('/web-app/3f2a9c1e0b7d')).toBe('/v2/apps/web-app/3f2a9c1e0b7d');
  });
});

describe('payload style by Marathon version', () => {
  it.each([
    ['0.15.3', 'legacy'], ['1.1.1', 'legacy'], ['1.4.0', 'legacy'], ['1.4.12-SNAPSHOT', 'legacy'],
    ['1.5.0', 'networks'], ['1.10.17', 'networks'], ['2.0.0', 'networks'], ['garbage', 'networks'],
  ])('%s → %s', (v, style) => {
    expect(payloadStyle(v)).toBe(style);
  });
  it('parses versions with suffixes', () => {
    expect(parseMarathonVersion('1.10.17-1234abcd')).toEqual([1, 10, 17]);
    expect(parseMarathonVersion('1.5')).toEqual([1, 5, 0]);
    expect(parseMarathonVersion('x')).toBeUndefined();
  });
});

describe('buildAppDefinition', () => {
  it('pre-1.5: container.docker.network BRIDGE with docker.portMappings (the documented legacy shape)', () => {
    const def = buildAppDefinition(spec, { ...opts, version: '1.4.0' });
    expect(def).toEqual({
      id: '/web-app/3f2a9c1e0b7d',
      instances: 3,
      cpus: 0.5,
      mem: 512,
      env: { DEPLOYER_REVISION: SHA },
      labels: { 'deployer.app': 'web-app', 'deployer.revision': SHA },
      container: {
        type: 'DOCKER',
        docker: {
          image: spec.image,
          forcePullImage: false,
          network: 'BRIDGE',
          portMappings: [{ containerPort: 8000, hostPort: 0, protocol: 'tcp', name: 'http' }],
        },
      },
      healthChecks: [{ protocol: 'HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 0, intervalSeconds: 2, timeoutSeconds: 2, maxConsecutiveFailures: 3 }],
    });
    expect(def).not.toHaveProperty('networks');
    // Same placement as the real legacy example (marathon-examples/app-definition-kitchen-sink.json).
    const sink = fixture('app-definition-kitchen-sink.json') as { container: { docker: Record<string, unknown> } };
    expect(Object.keys(sink.container.docker)).toEqual(expect.arrayContaining(['image', 'network', 'portMappings']));
    expect(sink.container.docker.network).toBe(def.container.docker.network);
  });

  it('1.5+: networks container/bridge with container.portMappings (the documented 1.5 shape)', () => {
    const def = buildAppDefinition(spec, { ...opts, version: '1.5.0' });
    expect(def.networks).toEqual([{ mode: 'container/bridge' }]);
    expect(def.container).toEqual({
      type: 'DOCKER',
      docker: { image: spec.image, forcePullImage: false },
      portMappings: [{ containerPort: 8000, hostPort: 0, protocol: 'tcp', name: 'http' }],
    });
    // Same placement as marathon-lb's 1.5 zdd template.
    const tpl = fixture('mlb-zdd-app-template-marathon1.5.json') as { networks: unknown; container: { docker: Record<string, unknown>; portMappings: unknown[] } };
    expect(tpl.networks).toEqual(def.networks);
    expect(tpl.container.docker).not.toHaveProperty('portMappings');
    expect(tpl.container.portMappings).toHaveLength(1);
  });

  it('keeps env and label values strings and health check seconds whole (rounded up)', () => {
    const def = buildAppDefinition({ ...spec, healthCheck: { ...spec.healthCheck, intervalSeconds: 0.5, gracePeriodSeconds: 2.2 } }, { ...opts, version: '1.9.0' });
    expect(def.healthChecks[0]).toMatchObject({ intervalSeconds: 1, gracePeriodSeconds: 3, timeoutSeconds: 2 });
    for (const v of [...Object.values(def.env), ...Object.values(def.labels)]) expect(typeof v).toBe('string');
  });
});

describe('health check protocol (deploy.marathon.healthCheck.protocol)', () => {
  it('HTTP by default, the same check on every version', () => {
    for (const version of ['1.1.1', '1.4.11', '1.10.17']) {
      expect(buildAppDefinition(spec, { ...opts, version }).healthChecks).toEqual([
        { protocol: 'HTTP', path: '/health', portIndex: 0, gracePeriodSeconds: 0, intervalSeconds: 2, timeoutSeconds: 2, maxConsecutiveFailures: 3 },
      ]);
    }
  });
  it('MESOS_HTTP on 1.4+, checked from the start (Marathon would wait 15 s)', () => {
    expect(buildAppDefinition(spec, { ...opts, version: '1.4.0', healthProtocol: 'MESOS_HTTP' }).healthChecks[0]).toMatchObject({ protocol: 'MESOS_HTTP', delaySeconds: 0 });
  });
  it('MESOS_HTTP before 1.4 is refused before anything is sent', () => {
    const build = () => buildAppDefinition(spec, { ...opts, version: '1.3.13', healthProtocol: 'MESOS_HTTP' });
    expect(build).toThrow(PreconditionError);
    expect(build).toThrow('Marathon 1.3.13 has no MESOS_HTTP health checks (they came with 1.4)');
  });
});
