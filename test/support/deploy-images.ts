// App images for the deploy and scheduler tests, built FROM deployer-base/busybox:latest (classic
// builder, no context: the Dockerfile comes on stdin). The good one serves /app/index.html; the
// broken one answers every request with 500 and logs a line on start.
import { execa } from 'execa';

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
