import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentFromApp, taskBackendProblems, taskState, type MarathonApp, type MarathonTask } from '../../../src/core/marathon/app-info.js';

const fixture = <T>(f: string): T => JSON.parse(readFileSync(new URL(`fixtures/${f}`, import.meta.url), 'utf8')) as T;

const running: MarathonTask = { id: 't1', host: 'agent1', ports: [31001], state: 'TASK_RUNNING', startedAt: '2024-01-01T00:00:00.000Z' };

describe('taskState', () => {
  it.each<[string, MarathonTask, number, string]>([
    ['running with all results alive', { ...running, healthCheckResults: [{ alive: true }] }, 1, 'healthy'],
    ['running without results (new task, or after a leader failover)', running, 1, 'unknown'],
    ['running with healthCheckResults: [] (1.6+ serializer)', { ...running, healthCheckResults: [] }, 1, 'unknown'],
    ['running with null results', { ...running, healthCheckResults: null }, 1, 'unknown'],
    ['fewer results than checks, all alive', { ...running, healthCheckResults: [{ alive: true }] }, 2, 'unknown'],
    ['fewer results than checks, one dead', { ...running, healthCheckResults: [{ alive: false }] }, 2, 'unhealthy'],
    ['one of two results dead', { ...running, healthCheckResults: [{ alive: true }, { alive: false }] }, 2, 'unhealthy'],
    ['no health checks: running is enough', running, 0, 'healthy'],
    ['staging', { ...running, state: 'TASK_STAGING', startedAt: null }, 1, 'starting'],
    ['killing', { ...running, state: 'TASK_KILLING' }, 1, 'stopped'],
    ['failed', { ...running, state: 'TASK_FAILED' }, 1, 'stopped'],
    ['no state (< 1.2), started', { id: 't', startedAt: '2014-09-13T00:24:46.959Z', healthCheckResults: [{ alive: true }] }, 1, 'healthy'],
    ['no state (< 1.2), not started', { id: 't', startedAt: null }, 1, 'starting'],
  ])('%s', (_name, task, checks, want) => {
    expect(taskState(task, checks)).toBe(want);
  });
});

describe('environmentFromApp on real payloads', () => {
  it('1.5 MESOS_HTTP app: 3/3 healthy, backends are host:ports[0] (not the bridge ipAddresses)', () => {
    const app = fixture<{ apps: MarathonApp[] }>('mlb-marathon1.5-get-apps-embed-tasks-mesos-http-health.json').apps[0]!;
    const env = environmentFromApp(app);
    expect(env).toMatchObject({ id: '/nginx-green', wanted: 3, healthy: 3, image: 'brndnmtthws/nginx-echo-sleep' });
    expect(env.backends).toEqual([{ host: '10.0.6.25', port: 16916 }, { host: '10.0.6.25', port: 31184 }, { host: '10.0.6.25', port: 23336 }]);
  });

  it('1.0 blue/green pair without task state: started tasks with alive results are healthy', () => {
    const [green, blue] = fixture<{ apps: MarathonApp[] }>('mlb-marathon1.0-get-apps-embed-tasks-blue-green-pair.json').apps;
    expect(environmentFromApp(green!)).toMatchObject({ healthy: 3, wanted: 3 });
    expect(environmentFromApp(blue!)).toMatchObject({ healthy: 1, wanted: 1, backends: [{ host: '10.0.1.147', port: 25724 }] });
  });

  it('0.x app with two checks per task and a lastTaskFailure', () => {
    const { app } = fixture<{ app: MarathonApp }>('get-app-response-embedded-tasks-0.x.json');
    const env = environmentFromApp(app);
    expect(env).toMatchObject({ id: '/toggle', wanted: 2, healthy: 2 });
    expect(env.instances[0]!.lastHealth).toMatch(/^alive since/);
  });

  it('takes the revision from the deployer.revision label and the age from versionInfo', () => {
    const env = environmentFromApp({
      id: '/web-app/3f2a9c1e0b7d', instances: 2, labels: { 'deployer.revision': 'f'.repeat(40) },
      healthChecks: [{}], versionInfo: { lastConfigChangeAt: '2024-05-01T10:00:00.000Z' },
      tasks: [{ ...running, healthCheckResults: [{ alive: true }] }, { ...running, id: 't2', ports: [31002] }],
    });
    expect(env).toMatchObject({ revision: 'f'.repeat(40), healthy: 1, wanted: 2, createdAt: new Date('2024-05-01T10:00:00.000Z') });
    expect(env.instances[1]).toMatchObject({ state: 'unknown', lastHealth: 'no health check results (unknown)', backend: { host: 'agent1', port: 31002 } });
    expect(env.backends).toEqual([{ host: 'agent1', port: 31001 }]);
  });

  it('describes a failing check with its cause', () => {
    const env = environmentFromApp({ id: '/a/b', instances: 1, healthChecks: [{}], tasks: [{ ...running, healthCheckResults: [{ alive: false, consecutiveFailures: 4, lastFailureCause: 'Got status 500' }] }] });
    expect(env.instances[0]).toMatchObject({ state: 'unhealthy', lastHealth: 'failing: Got status 500 (4 consecutive failures)' });
  });
});

describe('taskBackendProblems: what may not reach an nginx file', () => {
  const healthy = (over: Partial<MarathonTask>): MarathonApp => ({ id: '/a/b', healthChecks: [{}], tasks: [{ ...running, healthCheckResults: [{ alive: true }], ...over }] });
  it.each<[string, Partial<MarathonTask>, string[]]>([
    ['a plain agent', {}, []],
    ['a host with nginx syntax', { host: 'a;b' }, ['task t1: host "a;b" contains ";", which must never reach an nginx file']],
    ['a host closing a block', { host: '}' }, ['task t1: host "}" contains "}", which must never reach an nginx file']],
    ['port 0', { ports: [0] }, ['task t1: port 0 is out of range 1-65535']],
    ['port 70000', { ports: [70000] }, ['task t1: port 70000 is out of range 1-65535']],
    ['no ports', { ports: [] }, ['task t1: no host port']],
  ])('%s', (_name, over, want) => {
    expect(taskBackendProblems(healthy(over))).toEqual(want);
  });
  it('only healthy tasks count (a starting one is not a backend yet)', () => {
    expect(taskBackendProblems({ id: '/a/b', healthChecks: [{}], tasks: [{ ...running, host: 'a;b' }] })).toEqual([]);
  });
});
