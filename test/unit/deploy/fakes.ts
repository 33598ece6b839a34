import { parseConfigText } from '../../../src/core/config/parse.js';
import type { Config } from '../../../src/core/config/schema.js';
import type { EnvironmentInfo, SchedulerName } from '../../../src/core/deploy/environment.js';
import type { HistoryEntry } from '../../../src/ports/history.js';
import type { SchedulerPort } from '../../../src/ports/scheduler.js';

export const sha = (c: string): string => c.repeat(40).slice(0, 40);

export function config(deploy: string, extra = ''): Config {
  return parseConfigText(`app: web-app
images: { full: web-app-full, delta: web-app }
build: { appDir: /app }
deploy:
${deploy.split('\n').map((l) => `  ${l}`).join('\n')}
${extra}`, 'deployer.yaml');
}

export const dockerConfig = (extra = '') => config('scheduler: docker\ninstances: 3\nport: 8000', extra);
export const SWITCH = 'switch: { upstream: backend, file: /etc/nginx/conf.d/backend.conf, verify: { url: "http://127.0.0.1/" } }';
export const marathonConfig = (extra = '') =>
  config('scheduler: marathon\ninstances: 2\nport: 8000\nmarathon: { url: "http://marathon:8080", appPrefix: /web-app }', extra);

export const swarmConfig = (extra = '') =>
  config('scheduler: swarm\ninstances: 2\nport: 8000\nswarm: { constraints: ["node.labels.role==web"] }', extra);

export function env(revision: string, o: Partial<EnvironmentInfo> = {}): EnvironmentInfo {
  const healthy = o.healthy ?? 3;
  return {
    revision,
    id: `web-app-${revision.slice(0, 12)}`,
    image: `web-app:${revision}`,
    wanted: 3,
    instances: Array.from({ length: 3 }, (_, i) => ({ id: `c${i}`, state: i < healthy ? 'healthy' as const : 'unhealthy' as const, backend: { host: '127.0.0.1', port: 40000 + i } })),
    backends: [],
    healthy,
    ...o,
  };
}

/** Read-only fake: any write is a test failure. */
export function fakeScheduler(name: SchedulerName, envs: EnvironmentInfo[], version?: string): SchedulerPort {
  const write = async (): Promise<never> => {
    throw new Error('planner called a write method');
  };
  return {
    name,
    about: async () => ({ endpoint: { docker: 'docker (local engine)', swarm: 'swarm (local engine, 1 node)', marathon: 'http://marathon:8080' }[name], ...(version ? { version } : {}) }),
    list: async () => envs,
    get: async (_app, rev) => envs.find((e) => e.revision === rev),
    deploy: write,
    destroy: write,
  };
}

export const fakeGit = { resolve: async (rev: string) => (/^[0-9a-f]{40}$/.test(rev) ? rev : sha(rev.charAt(0) === 'x' ? 'e' : 'd')) };

export function history(...pairs: [string | null, string][]): { read(): Promise<HistoryEntry[]> } {
  return {
    read: async () => pairs.map(([from, to], i) => ({ at: `2024-01-0${i + 1}T00:00:00Z`, by: 'ci', action: 'switch' as const, from, to, hosts: ['local'], planHash: 'h' })),
  };
}
