import { z } from 'zod';

// Note: zod 4's .default() returns the default as is, unparsed; .prefault({}) parses it, so the
// inner defaults apply to an omitted section.

// deployer.yaml, validated into one fully typed object. Every key is documented in
// deployer.example.yaml (a test loads it, so the docs cannot rot). Objects are strict: a typo'd key
// is a problem reported with its path, never silently ignored. Secrets are not accepted here: they
// come from the environment or ~/.docker/config.json (src/adapters/docker/registry-auth.ts,
// src/adapters/scheduler/index.ts; docs/reference.md lists the variables).

const name = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'should be lowercase letters, digits and dashes');
const absPath = z.string().regex(/^\//, 'should be an absolute path');
const relOrAbsPath = z.string().min(1, 'should not be empty');
const argv = z.array(z.string().min(1)).min(1, 'should name a program');
/** A command given as a string runs through `/bin/sh -c` inside the image (a config value, never data). */
const shellOrArgv = z.union([z.string().min(1), argv]);
const imageName = z.string().regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, 'should be a repository name like team/web-app (no tag)');
const port = z.number().int().min(1).max(65535);
const seconds = z.number().positive();
const url = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'should be an http(s) URL');
const env = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const hostPort = z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'should be host or host:port');

export const registrySchema = z.strictObject({
  host: hostPort,
});

export const imagesSchema = z.strictObject({
  full: imageName,
  delta: imageName,
});

export const buildSchema = z.strictObject({
  context: relOrAbsPath.default('.'),
  dockerfile: relOrAbsPath.default('Dockerfile'),
  appDir: absPath,
  buildArgs: env.default({}),
  /** Warn, then demand a full build, before a delta would cross the engine's layer limit. */
  maxLayers: z.number().int().min(2).max(125).default(120),
});

export const changesSchema = z.strictObject({
  infra: z.array(z.string().min(1)).default(['Dockerfile', '.dockerignore']),
  deps: z.array(z.string().min(1)).default([]),
  ignore: z.array(z.string().min(1)).default([]),
  depsDir: absPath.optional(),
  depsInstall: shellOrArgv.optional(),
});

export const execSchema = z.strictObject({
  via: z.enum(['docker', 'ssh']).default('docker'),
  ssh: z.strictObject({
    user: z.string().min(1).default('root'),
    port: port.default(22),
    /** Private key file for the image's sshd; the passphrase comes from DEPLOYER_SSH_PASSPHRASE. */
    keyFile: relOrAbsPath.optional(),
    /** Where the image keeps its host public key, read through the Docker API to pin it. */
    hostKeyPath: absPath.default('/etc/ssh/ssh_host_ed25519_key.pub'),
    /** What a delta's build container runs instead of the image's command: sshd alone, so the app never runs during a build. */
    sshd: argv.default(['/usr/sbin/sshd', '-D', '-e']),
  }).prefault({}),
});

export const verifySchema = z.strictObject({
  volatile: z.array(z.string().min(1)).default(['/tmp/**', '/var/log/**', '/var/cache/**', '**/*.pyc', '/proc/**', '/sys/**', '/dev/**', '/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']),
});

const readiness = z.union([
  z.strictObject({ tcp: port }),
  z.strictObject({ command: shellOrArgv }),
], { error: 'should be { tcp: <port> } or { command: <command> }' });

export const testSchema = z.strictObject({
  command: shellOrArgv,
  env: env.default({}),
  junit: absPath.optional(),
  setup: z.array(shellOrArgv).default([]),
  services: z.array(z.strictObject({
    name,
    image: z.string().min(1),
    env: env.default({}),
    command: argv.optional(),
    ready: readiness.optional(),
  })).default([]),
  smoke: z.array(z.strictObject({
    path: z.string().regex(/^\//, 'should start with /'),
    status: z.number().int().min(100).max(599).default(200),
    body: z.string().optional(),
    header: z.strictObject({ name: z.string().min(1), value: z.string() }).optional(),
  })).default([]),
  timeoutSeconds: seconds.default(1800),
});

export const healthCheckSchema = z.strictObject({
  path: z.string().regex(/^\//, 'should start with /').default('/'),
  intervalSeconds: seconds.default(2),
  timeoutSeconds: seconds.default(2),
  gracePeriodSeconds: z.number().min(0).default(0),
  maxConsecutiveFailures: z.number().int().min(0).default(3),
});

export const marathonSchema = z.strictObject({
  url,
  appPrefix: z.string().regex(/^(\/[a-z0-9]([a-z0-9.-]*[a-z0-9])?)+$/, 'should be an absolute Marathon id like /web-app'),
  cpus: z.number().positive().default(0.5),
  mem: z.number().positive().default(512),
  /** PEM file of the CA that signed Marathon's certificate (https only). */
  caFile: relOrAbsPath.optional(),
  /** Per request: until the answer's headers arrive, and between its chunks (5xx and timeouts are retried). */
  requestTimeoutSeconds: seconds.default(30),
  /** How long a request keeps being retried while Marathon has no leader (502/503); 0: not at all. */
  leaderWaitSeconds: z.number().min(0).default(60),
  healthCheck: z.strictObject({
    /** HTTP: run by the Marathon leader (deprecated since 1.4, accepted by every version); MESOS_HTTP: by the agent (1.4+). */
    protocol: z.enum(['HTTP', 'MESOS_HTTP']).default('HTTP'),
  }).prefault({}),
});

/** Swarm resources per task: cpus as on `docker service create --limit-cpu`, mem in MB as for Marathon. */
const swarmResources = z.strictObject({
  cpus: z.number().positive().optional(),
  mem: z.number().positive().optional(),
});

export const swarmSchema = z.strictObject({
  /** What swarm does when a task's container exits (deployer still gates on its own health checks). */
  restart: z.strictObject({
    condition: z.enum(['any', 'on-failure', 'none']).default('any'),
    delaySeconds: z.number().min(0).default(5),
    /** 0: no limit. */
    maxAttempts: z.number().int().min(0).default(0),
  }).prefault({}),
  /** Placement constraints, as `docker service create --constraint` takes them. */
  constraints: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\s*(==|!=)\s*\S+$/, 'should be like node.labels.role==web or node.role!=manager')).default([]),
  /** Between SIGTERM and SIGKILL when an environment is destroyed. */
  stopGracePeriodSeconds: z.number().min(0).default(10),
  /** At most this many tasks of one environment on one node (0: no limit). */
  maxReplicasPerNode: z.number().int().min(0).default(0),
  reservations: swarmResources.optional(),
  limits: swarmResources.optional(),
});

export const deploySchema = z.strictObject({
  scheduler: z.enum(['docker', 'marathon', 'swarm']).default('docker'),
  instances: z.number().int().min(1).max(100).default(1),
  port,
  /** docker scheduler: the host address published ports bind to. */
  bindAddress: z.string().default('127.0.0.1'),
  healthCheck: healthCheckSchema.prefault({}),
  timeoutSeconds: seconds.default(300),
  marathon: marathonSchema.optional(),
  swarm: swarmSchema.optional(),
}).superRefine((d, ctx) => {
  // Mesos checks read 0 as "kill at the first failure", Marathon's as "never kill" (docs/marathon-api.md §1.3).
  if (d.scheduler === 'marathon' && d.marathon?.healthCheck.protocol === 'MESOS_HTTP' && d.healthCheck.maxConsecutiveFailures === 0) {
    ctx.addIssue({ code: 'custom', path: ['healthCheck', 'maxConsecutiveFailures'], message: 'should be at least 1 with deploy.marathon.healthCheck.protocol MESOS_HTTP (0 would kill a task at its first failed check)' });
  }
});

export const previewSchema = z.strictObject({
  domain: z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'should be a DNS name like preview.example.com'),
  listen: z.union([z.string().min(1), port.transform(String)]).default('80'),
  /** Path (and query) a preview is verified on; default: that of the host's switch.verify.url. */
  verifyPath: z.string().regex(/^\/[^\s#]*$/, 'should be a path starting with / (like /version)').optional(),
});

const verifyTarget = z.strictObject({
  url,
  header: z.string().min(1).default('X-Revision'),
  timeoutSeconds: seconds.default(30),
});

const hostOverrides = {
  file: absPath.optional(),
  previewFile: absPath.optional(),
  test: argv.optional(),
  reload: argv.optional(),
  verify: verifyTarget.optional(),
  controlSocket: absPath.optional(),
};

export const switchHostSchema = z.union([
  z.literal('local'),
  z.strictObject({ local: z.literal(true), name: z.string().min(1).optional(), ...hostOverrides }),
  z.strictObject({
    ssh: z.string().regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?$/, 'should be user@host or user@host:port'),
    name: z.string().min(1).optional(),
    /** Private key; default: the agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
    identityFile: relOrAbsPath.optional(),
    knownHosts: relOrAbsPath.optional(),
    ...hostOverrides,
  }),
], { error: 'should be "local", { local: true, ... } or { ssh: user@host[:port], ... }' });

export const switchSchema = z.strictObject({
  upstream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'should be an nginx upstream name (letters, digits, _ and -)'),
  file: absPath,
  previewFile: absPath.optional(),
  test: argv.default(['nginx', '-t']),
  reload: argv.default(['nginx', '-s', 'reload']),
  hosts: z.array(switchHostSchema).min(1, 'should list at least one host').default(['local']),
  verify: verifyTarget,
  keep: z.number().int().min(1).default(3),
  /**
   * reload: rewrite the file, `nginx -t`, reload. dynamic: the file also carries a Lua balancer and
   * a control socket, and a switch updates the running nginx through it, without a reload (needs
   * Debian's libnginx-mod-http-lua on every host).
   */
  method: z.enum(['reload', 'dynamic']).default('reload'),
  /** dynamic: the control socket on each host; default `<stateDir>/<app>/<upstream>.sock`. */
  controlSocket: absPath.optional(),
  /** Where the lock and history live on the first switch host. */
  stateDir: absPath.default('/var/lib/deployer'),
});

/** The variables every hook gets (also usable as `{DEPLOYER_…}` placeholders in its argv). */
export const HOOK_VARIABLES = ['DEPLOYER_APP', 'DEPLOYER_EVENT', 'DEPLOYER_COMMAND', 'DEPLOYER_REVISION', 'DEPLOYER_PREVIOUS', 'DEPLOYER_DIGEST', 'DEPLOYER_WHO', 'DEPLOYER_PREVIEW_URL', 'DEPLOYER_ERROR'] as const;
export const HOOK_EVENTS = ['pre-deploy', 'post-deploy', 'pre-switch', 'post-switch', 'post-rollback', 'failed'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

const placeholdersKnown = (args: string[]) => args.every((a) => [...a.matchAll(/\{(DEPLOYER_[A-Z_]+)\}/g)].every((m) => (HOOK_VARIABLES as readonly string[]).includes(m[1]!)));
const hookSchema = z.strictObject({
  /** Prefixes the hook's output lines and names it in plans and errors; default `<event>-<n>`. */
  name: name.optional(),
  /** argv, run without a shell on the machine running deployer, in the config file's directory. */
  command: argv.refine(placeholdersKnown, `may only use the placeholders ${HOOK_VARIABLES.map((v) => `{${v}}`).join(', ')}`),
  timeoutSeconds: seconds.default(300),
});
export const hooksSchema = z.strictObject(Object.fromEntries(HOOK_EVENTS.map((e) => [e, z.array(hookSchema).default([])])) as Record<HookEvent, z.ZodDefault<z.ZodArray<typeof hookSchema>>>);

export const stateSchema = z.strictObject({
  /** Local directory for test-image records (relative to the config file). */
  dir: relOrAbsPath.default('.deployer'),
});

export const configSchema = z.strictObject({
  app: name,
  registry: registrySchema.optional(),
  images: imagesSchema,
  build: buildSchema,
  changes: changesSchema.prefault({}),
  exec: execSchema.prefault({}),
  verify: verifySchema.prefault({}),
  test: testSchema.optional(),
  deploy: deploySchema.optional(),
  preview: previewSchema.optional(),
  switch: switchSchema.optional(),
  hooks: hooksSchema.prefault({}),
  state: stateSchema.prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type SwitchHost = z.output<typeof switchHostSchema>;
export type TestConfig = z.output<typeof testSchema>;
export type DeployConfig = z.output<typeof deploySchema>;
export type SwarmConfig = z.output<typeof swarmSchema>;
export type SwitchConfig = z.output<typeof switchSchema>;
export type HookConfig = z.output<typeof hookSchema>;
