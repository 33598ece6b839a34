// App images for the deploy and scheduler tests, built FROM deployer-base/busybox:latest (classic
// builder, no context: the Dockerfile comes on stdin). The good one serves /app/index.html; the
// broken one answers every request with 500 and logs a line on start.
import { execa } from 'execa';
import { expect } from 'vitest';
import type { DeploySpec } from '../../src/core/deploy/spec.js';
import { httpGet } from './http.js';

export const DEPLOY_TEST_LABEL = 'deployer.test-deploy';
const env = { ...process.env, DOCKER_BUILDKIT: '0' };

const GOOD = `FROM deployer-base/busybox:latest
RUN mkdir -p /app && echo 'hello from the good app' > /app/index.html
CMD ["/bin/revision-server"]
`;
const BROKEN = `FROM deployer-base/busybox:latest
RUN mkdir -p /app && echo 'broken' > /app/index.html && echo 500 > /app/.status
CMD ["/bin/sh", "-c", "echo 'broken app starting, every answer is a 500' >&2; exec /bin/revision-server"]
`;

export async function buildAppImage(tag: string, kind: 'good' | 'broken'): Promise<void> {
  await execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '-t', tag, '-'], { env, input: kind === 'good' ? GOOD : BROKEN });
}

export async function tagImage(source: string, target: string): Promise<void> {
  await execa('docker', ['tag', source, target]);
}

export async function removeImages(...tags: string[]): Promise<void> {
  if (tags.length) await execa('docker', ['rmi', '-f', ...tags], { reject: false });
}

/** Names of containers (running or not) labelled deployer.app=<app>. */
export async function appContainers(app: string): Promise<string[]> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=deployer.app=${app}`, '--format', '{{.Names}}']);
  return r.stdout.split('\n').filter(Boolean).sort();
}

export async function removeAppContainers(app: string): Promise<void> {
  const names = await appContainers(app);
  if (names.length) await execa('docker', ['rm', '-f', ...names], { reject: false });
}

/** The start of a deployer.yaml for the docker scheduler: 2 instances of `<repo>:<sha>`, fast health checks. */
export function dockerDeployConfig(app: string, imageRepo: string, contextDir: string, timeoutSeconds: number): string[] {
  return [
    `app: ${app}`,
    `images: { full: ${imageRepo}-full, delta: ${imageRepo} }`,
    `build: { context: ${JSON.stringify(contextDir)}, appDir: /app }`,
    ...dockerSchedulerSection(2, timeoutSeconds),
  ];
}

/** The `deploy:` section for the docker scheduler: `instances` of port 8000, fast health checks. */
export function dockerSchedulerSection(instances: number, timeoutSeconds = 30): string[] {
  return [
    'deploy:',
    '  scheduler: docker',
    `  instances: ${instances}`,
    '  port: 8000',
    '  healthCheck: { path: /, intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 2 }',
    `  timeoutSeconds: ${timeoutSeconds}`,
  ];
}

/**
 * Each of `count` backends is on 127.0.0.1 at its own port and serves the good app of `revision`;
 * returns the ports. For schedulers on this machine: a bridge address would be a 172.x one.
 */
export async function expectGoodBackends(backends: { host: string; port: number }[], revision: string, count: number): Promise<Set<number>> {
  const ports = new Set(backends.map((b) => b.port));
  expect(ports.size).toBe(count);
  for (const b of backends) {
    expect(b.host).toBe('127.0.0.1');
    const res = await httpGet(`http://127.0.0.1:${b.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers['x-revision']).toBe(revision);
    expect(res.body).toContain('hello from the good app');
  }
  return ports;
}

/** A deploy spec as deploySpec() makes it, with fast health checks: 3 instances on port 8000. */
export function testDeploySpec(app: string, revision: string, image: string, o: Partial<DeploySpec> = {}): DeploySpec {
  return {
    app,
    revision,
    image,
    instances: 3,
    port: 8000,
    env: { DEPLOYER_REVISION: revision, PORT: '8000' },
    labels: { 'deployer.app': app, 'deployer.revision': revision },
    healthCheck: { path: '/', intervalSeconds: 0.25, timeoutSeconds: 1, gracePeriodSeconds: 0, maxConsecutiveFailures: 2 },
    timeoutSeconds: 20,
    ...o,
  };
}
