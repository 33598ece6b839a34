// App definition reading, legacy→canonical translation, defaults and validation, in Marathon's order:
// 1. JSON "reads" (types, required fields, enum literals) → {"message":"Invalid JSON","details":[{path,errors}]}
//    with 400 (≤1.4) or 422 (≥1.5) (docs/marathon-api.md §6);
// 2. translation of the deprecated API (docker.network, docker.portMappings, ports, ipAddress, uris) into the
//    canonical one (networks, container.portMappings, portDefinitions, fetch) — accepted by every version,
//    mixing both styles is rejected on ≥1.5 (§1.2; AppNormalization/AppValidation "validateOldAppAPI");
// 3. semantic validation → 422 {"message":"Object is not valid","details":[{path,errors}]}.
// Paths render array indices as `(n)` (§6). Messages quote Marathon's where known (AppValidation.scala,
// PathId.scala, accord); others are accord-style approximations — clients should display, not parse, them.

import type { Features } from './features.js';
import type { AppDef, HealthCheck, HttpError, Network, PortDefinition, PortMapping } from './types.js';
import { clone, isObject } from './util.js';

type Json = Record<string, unknown>;

class Violations {
  private readonly byPath = new Map<string, string[]>();
  add(path: string, error: string): void {
    const p = path || '/';
    const list = this.byPath.get(p) ?? [];
    if (!list.includes(error)) list.push(error);
    this.byPath.set(p, list);
  }
  get empty(): boolean {
    return this.byPath.size === 0;
  }
  details(): { path: string; errors: string[] }[] {
    return [...this.byPath].map(([path, errors]) => ({ path, errors }));
  }
}

// ---------------------------------------------------------------- 1. reads (JSON types)

type Check = (v: unknown, path: string, out: Violations) => void;

const str: Check = (v, p, o) => void (typeof v !== 'string' && o.add(p, 'error.expected.jsstring'));
const bool: Check = (v, p, o) => void (typeof v !== 'boolean' && o.add(p, 'error.expected.jsboolean'));
const num: Check = (v, p, o) => void (typeof v !== 'number' && o.add(p, 'error.expected.jsnumber'));
const int: Check = (v, p, o) => {
  if (typeof v !== 'number') o.add(p, 'error.expected.jsnumber');
  else if (!Number.isInteger(v)) o.add(p, 'error.expected.int');
};
const any: Check = () => {};
const arr =
  (item: Check): Check =>
  (v, p, o) => {
    if (!Array.isArray(v)) return o.add(p, 'error.expected.jsarray');
    v.forEach((x, i) => item(x, `${p}(${i})`, o));
  };
const dict =
  (item: Check): Check =>
  (v, p, o) => {
    if (!isObject(v)) return o.add(p, 'error.expected.jsobject');
    for (const [k, x] of Object.entries(v)) item(x, `${p}/${k}`, o);
  };
const obj =
  (fields: Record<string, Check>, required: string[] = []): Check =>
  (v, p, o) => {
    if (!isObject(v)) return o.add(p, 'error.expected.jsobject');
    for (const r of required) if (v[r] === undefined || v[r] === null) o.add(`${p}/${r}`, 'error.path.missing');
    for (const [k, check] of Object.entries(fields)) {
      const x = v[k];
      if (x !== undefined && x !== null) check(x, `${p}/${k}`, o);
    }
  };
/** RAML-generated enum readers match case-insensitively ("error.unknown.enum.literal"); 1.4's did not. */
let enumCaseInsensitive = true;
const enumOf =
  (values: readonly string[]): Check =>
  (v, p, o) => {
    if (typeof v !== 'string') return o.add(p, 'error.expected.jsstring');
    const ok = enumCaseInsensitive ? values.some((x) => x.toLowerCase() === v.toLowerCase()) : values.includes(v);
    if (!ok) o.add(p, enumCaseInsensitive ? 'error.unknown.enum.literal' : 'error.expected.validenumvalue');
  };
const envValue: Check = (v, p, o) => {
  if (typeof v === 'string') return;
  if (isObject(v) && typeof v.secret === 'string') return;
  o.add(p, 'error.expected.jsstring');
};

export const HEALTH_PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP'] as const;
const MESOS_PROTOCOLS = new Set(['COMMAND', 'MESOS_HTTP', 'MESOS_HTTPS', 'MESOS_TCP']);
const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'];

const portMapping = obj({
  containerPort: int,
  hostPort: int,
  servicePort: int,
  protocol: enumOf(['tcp', 'udp', 'udp,tcp', 'tcp,udp']),
  name: str,
  labels: dict(str),
  networkNames: arr(str),
});
const appSchema = obj({
  id: str,
  cmd: str,
  args: arr(str),
  user: str,
  env: dict(envValue),
  instances: int,
  cpus: num,
  mem: num,
  disk: num,
  gpus: int,
  executor: str,
  constraints: arr(arr(str)),
  uris: arr(str),
  fetch: arr(obj({ uri: str }, ['uri'])),
  backoffSeconds: num,
  backoffFactor: num,
  maxLaunchDelaySeconds: num,
  container: obj({
    type: enumOf(['DOCKER', 'MESOS']),
    docker: obj(
      {
        image: str,
        network: enumOf(['BRIDGE', 'HOST', 'USER', 'NONE']),
        portMappings: arr(portMapping),
        forcePullImage: bool,
        privileged: bool,
        parameters: arr(obj({ key: str, value: str }, ['key', 'value'])),
      },
      ['image'],
    ),
    portMappings: arr(portMapping),
    volumes: arr(any),
  }),
  networks: arr(obj({ mode: enumOf(['host', 'container/bridge', 'container']), name: str, labels: dict(str) }, ['mode'])),
  ipAddress: obj({ networkName: str, discovery: any, groups: arr(str), labels: dict(str) }),
  ports: arr(int),
  portDefinitions: arr(obj({ port: int, protocol: enumOf(['tcp', 'udp', 'udp,tcp', 'tcp,udp']), name: str, labels: dict(str) })),
  requirePorts: bool,
  healthChecks: arr(
    obj({
      protocol: enumOf(HEALTH_PROTOCOLS),
      path: str,
      portIndex: int,
      port: int,
      command: obj({ value: str }, ['value']),
      gracePeriodSeconds: int,
      intervalSeconds: int,
      timeoutSeconds: int,
      maxConsecutiveFailures: int,
      delaySeconds: int,
      ignoreHttp1xx: bool,
      ipProtocol: enumOf(['IPv4', 'IPv6']),
    }),
  ),
  readinessChecks: arr(any),
  dependencies: arr(str),
  upgradeStrategy: obj({ minimumHealthCapacity: num, maximumOverCapacity: num }),
  labels: dict(str),
  acceptedResourceRoles: arr(str),
  killSelection: enumOf(['YOUNGEST_FIRST', 'OLDEST_FIRST']),
  taskKillGracePeriodSeconds: num,
  version: str,
});

/** Play reads `null` as "absent" for optional fields; drop null-valued object keys recursively. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

// ---------------------------------------------------------------- 2. deprecated API → canonical

function canonicalize(input: Json, f: Features, mode: 'create' | 'update', out: Violations): Json {
  const b = clone(input);
  if (f.legacyApps) {
    // 1.4 has no `networks` / `container.portMappings`; like any unknown field they are ignored.
    delete b.networks;
    if (isObject(b.container)) delete b.container.portMappings;
  }
  const container = isObject(b.container) ? b.container : undefined;
  const docker = container && isObject(container.docker) ? container.docker : undefined;
  const dockerNetwork = docker?.network as string | undefined;

  if (!f.legacyApps) {
    if (dockerNetwork !== undefined && b.networks !== undefined)
      out.add('/', 'must not specify both container.docker.network and networks');
    if (b.ipAddress !== undefined && b.networks !== undefined) out.add('/', 'must not specify both networks and ipAddress');
    if (Array.isArray(docker?.portMappings) && docker.portMappings.length && Array.isArray(container?.portMappings) && container.portMappings.length)
      out.add('/container', 'cannot specify both portMappings and docker.portMappings');
  }
  const ipAddress = isObject(b.ipAddress) ? b.ipAddress : undefined;
  let networks: Network[] | undefined;
  const net = dockerNetwork?.toUpperCase();
  if (net === 'BRIDGE') networks = [{ mode: 'container/bridge' }];
  else if (net === 'HOST') networks = [{ mode: 'host' }];
  else if (net === 'USER') networks = [{ mode: 'container', ...(ipAddress?.networkName ? { name: String(ipAddress.networkName) } : {}) }];
  else if (net === 'NONE') out.add('/container/docker/network', 'NONE networking is not supported by the marathon stand-in');
  else if (ipAddress) networks = [{ mode: 'container', ...(ipAddress.networkName ? { name: String(ipAddress.networkName) } : {}) }];
  else if (f.legacyApps && container && (mode === 'create' || docker)) networks = [{ mode: 'host' }]; // 1.4: Docker default is HOST
  if (networks) b.networks = networks;
  if (docker) {
    delete docker.network;
    if (docker.portMappings !== undefined) {
      if (container && container.portMappings === undefined) container.portMappings = docker.portMappings;
      delete docker.portMappings;
    }
  }
  delete b.ipAddress;

  if (b.ports !== undefined) {
    const ports = b.ports as number[];
    if (b.portDefinitions !== undefined) {
      const defs = (b.portDefinitions as Json[]).map((d) => d.port);
      if (JSON.stringify(defs) !== JSON.stringify(ports)) out.add('/', 'cannot specify both ports and port definitions');
    } else b.portDefinitions = ports.map((port) => ({ port }));
    delete b.ports;
  }
  if (b.uris !== undefined) {
    if (b.fetch !== undefined && (b.fetch as unknown[]).length && (b.uris as unknown[]).length)
      out.add('/uris', 'may not be set in conjunction with fetch');
    else b.fetch = (b.uris as string[]).map((uri) => ({ uri }));
    delete b.uris;
  }
  return b;
}

// ---------------------------------------------------------------- defaults

const canon = (values: readonly string[], v: string): string => values.find((x) => x.toLowerCase() === v.toLowerCase()) ?? v;

function normalizeHealthCheck(h: Json, hasPorts: boolean): HealthCheck {
  const protocol = canon(HEALTH_PROTOCOLS, (h.protocol as string | undefined) ?? 'HTTP');
  const isHttp = /HTTP/.test(protocol);
  const check: HealthCheck = {
    protocol,
    gracePeriodSeconds: (h.gracePeriodSeconds as number | undefined) ?? 300,
    intervalSeconds: (h.intervalSeconds as number | undefined) ?? 60,
    timeoutSeconds: (h.timeoutSeconds as number | undefined) ?? 20,
    maxConsecutiveFailures: (h.maxConsecutiveFailures as number | undefined) ?? 3,
  };
  if (h.ignoreHttp1xx !== undefined) check.ignoreHttp1xx = h.ignoreHttp1xx as boolean;
  if (isHttp) check.path = (h.path as string | undefined) ?? '/';
  if (h.port !== undefined) check.port = h.port as number;
  if (h.portIndex !== undefined) check.portIndex = h.portIndex as number;
  // AppNormalization.normalizeHealthChecks: portIndex 0 is re-added when neither port nor portIndex is set.
  else if (check.port === undefined && protocol !== 'COMMAND' && hasPorts) check.portIndex = 0;
  if (h.command !== undefined) check.command = h.command as { value: string };
  if (MESOS_PROTOCOLS.has(protocol)) check.delaySeconds = (h.delaySeconds as number | undefined) ?? 15;
  if (h.ipProtocol !== undefined) check.ipProtocol = h.ipProtocol as string;
  return check;
}

const PASS_THROUGH = ['secrets', 'residency', 'tty', 'check', 'role'];

function withDefaults(b: Json, f: Features, method: 'POST' | 'PUT', out: Violations): AppDef {
  const networks = ((b.networks as Network[] | undefined) ?? [{ mode: 'host' }]).map((n) => ({
    ...n,
    mode: canon(['host', 'container/bridge', 'container'], n.mode) as Network['mode'],
  }));
  const hostMode = networks.some((n) => n.mode === 'host');
  const bridge = networks.some((n) => n.mode === 'container/bridge');
  const c = isObject(b.container) ? b.container : undefined;
  const rawMappings = c?.portMappings as Json[] | undefined;
  const rawDefs = b.portDefinitions as Json[] | undefined;
  if (method === 'PUT') {
    // AppUpdate validation (validateCanonicalAppUpdateAPI); a POST silently drops the misplaced ports instead
    // (AppNormalization.maybeDropPortMappings / applyDefaultPortDefinitions).
    if (hostMode && rawMappings?.length) out.add('/', 'portMappings are not allowed with host-networking');
    if (!hostMode && rawDefs?.length) out.add('/', 'portDefinitions are only allowed with host-networking');
  }
  const portMappings: PortMapping[] = hostMode
    ? []
    : (rawMappings ?? [{ containerPort: 0, name: 'default' }]).map((m) => {
        const pm: PortMapping = {
          containerPort: (m.containerPort as number | undefined) ?? 0,
          servicePort: (m.servicePort as number | undefined) ?? 0,
          protocol: ((m.protocol as string | undefined) ?? 'tcp').toLowerCase(),
          labels: (m.labels as Record<string, string> | undefined) ?? {},
        };
        const hostPort = (m.hostPort as number | undefined) ?? (bridge ? 0 : undefined);
        if (hostPort !== undefined) pm.hostPort = hostPort;
        if (m.name !== undefined) pm.name = m.name as string;
        if (m.networkNames !== undefined) pm.networkNames = m.networkNames as string[];
        return pm;
      });
  const portDefinitions: PortDefinition[] = !hostMode
    ? []
    : (rawDefs ?? [{ port: 0, name: 'default' }]).map((d) => ({
        port: (d.port as number | undefined) ?? 0,
        protocol: ((d.protocol as string | undefined) ?? 'tcp').toLowerCase(),
        ...(d.name !== undefined ? { name: d.name as string } : {}),
        labels: (d.labels as Record<string, string> | undefined) ?? {},
      }));
  const hasPorts = portMappings.length + portDefinitions.length > 0;

  const def: AppDef = {
    id: b.id as string,
    env: (b.env as AppDef['env'] | undefined) ?? {},
    instances: (b.instances as number | undefined) ?? 1,
    cpus: (b.cpus as number | undefined) ?? 1,
    mem: (b.mem as number | undefined) ?? 128,
    disk: (b.disk as number | undefined) ?? 0,
    gpus: (b.gpus as number | undefined) ?? 0,
    executor: (b.executor as string | undefined) ?? '',
    constraints: (b.constraints as string[][] | undefined) ?? [],
    fetch: (b.fetch as unknown[] | undefined) ?? [],
    backoffSeconds: (b.backoffSeconds as number | undefined) ?? 1,
    backoffFactor: (b.backoffFactor as number | undefined) ?? 1.15,
    maxLaunchDelaySeconds: (b.maxLaunchDelaySeconds as number | undefined) ?? (f.legacyApps ? 3600 : 300),
    networks,
    portMappings,
    portDefinitions,
    requirePorts: hostMode ? ((b.requirePorts as boolean | undefined) ?? false) : false,
    healthChecks: ((b.healthChecks as Json[] | undefined) ?? []).map((h) => normalizeHealthCheck(h, hasPorts)),
    readinessChecks: (b.readinessChecks as unknown[] | undefined) ?? [],
    dependencies: (b.dependencies as string[] | undefined) ?? [],
    upgradeStrategy: {
      minimumHealthCapacity: ((b.upgradeStrategy as Json | undefined)?.minimumHealthCapacity as number | undefined) ?? 1,
      maximumOverCapacity: ((b.upgradeStrategy as Json | undefined)?.maximumOverCapacity as number | undefined) ?? 1,
    },
    labels: (b.labels as Record<string, string> | undefined) ?? {},
    killSelection: canon(['YOUNGEST_FIRST', 'OLDEST_FIRST'], (b.killSelection as string | undefined) ?? 'YOUNGEST_FIRST'),
    // 1.4: UnreachableStrategy(15.minutes, 7.days); 1.5+: UnreachableEnabled(5.minutes, 10.minutes)
    // (src/main/scala/mesosphere/marathon/state/UnreachableStrategy.scala at each version).
    unreachableStrategy:
      b.unreachableStrategy ?? (f.legacyApps ? { inactiveAfterSeconds: 900, expungeAfterSeconds: 604800 } : { inactiveAfterSeconds: 300, expungeAfterSeconds: 600 }),
    extra: Object.fromEntries(PASS_THROUGH.filter((k) => b[k] !== undefined).map((k) => [k, b[k]])),
  };
  if (b.cmd !== undefined) def.cmd = b.cmd as string;
  if (b.args !== undefined) def.args = b.args as string[];
  if (b.user !== undefined) def.user = b.user as string;
  if (b.acceptedResourceRoles !== undefined) def.acceptedResourceRoles = b.acceptedResourceRoles as string[];
  if (b.taskKillGracePeriodSeconds !== undefined) def.taskKillGracePeriodSeconds = b.taskKillGracePeriodSeconds as number;
  if (c) {
    const d = isObject(c.docker) ? c.docker : undefined;
    def.container = {
      type: canon(['DOCKER', 'MESOS'], (c.type as string | undefined) ?? 'DOCKER') as 'DOCKER' | 'MESOS',
      volumes: (c.volumes as unknown[] | undefined) ?? [],
    };
    if (d)
      def.container.docker = {
        image: d.image as string,
        forcePullImage: (d.forcePullImage as boolean | undefined) ?? false,
        privileged: (d.privileged as boolean | undefined) ?? false,
        parameters: (d.parameters as { key: string; value: string }[] | undefined) ?? [],
      };
  }
  return def;
}

// ---------------------------------------------------------------- 3. semantic validation

/** Java's `matches()` is a full match; the anchors around the whole alternation make JS do the same. */
const ID_SEGMENT = /^(?:(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])|\.|\.\.)$/;
const ID_SEGMENT_TEXT = String.raw`^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$`;

function checkMin(out: Violations, path: string, v: number, min: number): void {
  if (v < min) out.add(path, `got ${v}, expected ${min} or more`);
}
function checkPort(out: Violations, path: string, v: number | undefined): void {
  if (v !== undefined && (v < 0 || v > 65535)) out.add(path, `got ${v}, expected between 0 and 65535`);
}
function uniqueNames(out: Violations, path: string, names: (string | undefined)[]): void {
  const named = names.filter((n): n is string => n !== undefined);
  if (new Set(named).size !== named.length) out.add(path, 'Port names must be unique.');
}

function validateIdText(id: string, f: Features, out: Violations): void {
  const segments = id.split('/').filter(Boolean);
  if (!segments.length) return out.add('/id', 'Path must contain at least one path element');
  if (!segments.every((s) => ID_SEGMENT.test(s)))
    out.add('/id', `must fully match regular expression '${ID_SEGMENT_TEXT}'`);
  if (f.v18 && ['restart', 'tasks', 'versions', '.', '..'].includes(segments[segments.length - 1] ?? ''))
    out.add('/id', 'must not end with any of the following reserved keywords: restart, tasks, versions, ., ..');
}

function semantic(def: AppDef, f: Features, out: Violations): void {
  validateIdText(def.id, f, out);
  if (def.cmd !== undefined && def.cmd.length <= 1) out.add('/', 'must not be an empty string');
  const hasCmd = def.cmd !== undefined;
  const hasArgs = def.args !== undefined;
  const hasImage = def.container?.docker !== undefined;
  if (!((hasCmd !== hasArgs) || (!(hasCmd && hasArgs) && hasImage)))
    out.add('/', "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  checkMin(out, '/instances', def.instances, 0);
  checkMin(out, '/cpus', def.cpus, 0.001);
  checkMin(out, '/mem', def.mem, 0);
  checkMin(out, '/disk', def.disk, 0);
  checkMin(out, '/gpus', def.gpus, 0);
  checkMin(out, '/backoffSeconds', def.backoffSeconds, 0);
  checkMin(out, '/backoffFactor', def.backoffFactor, 0);
  checkMin(out, '/maxLaunchDelaySeconds', def.maxLaunchDelaySeconds, 0);

  if (def.container?.type === 'DOCKER' && !def.container.docker) out.add('/container/docker', 'must be defined');
  if (def.container?.docker && !def.container.docker.image.trim()) out.add('/container/docker/image', 'must not be empty');

  const pmPath = f.legacyApps ? '/container/docker/portMappings' : '/container/portMappings';
  def.portMappings.forEach((m, i) => {
    checkPort(out, `${pmPath}(${i})/containerPort`, m.containerPort);
    checkPort(out, `${pmPath}(${i})/hostPort`, m.hostPort);
    checkPort(out, `${pmPath}(${i})/servicePort`, m.servicePort);
  });
  uniqueNames(out, pmPath, def.portMappings.map((m) => m.name));
  def.portDefinitions.forEach((d, i) => checkPort(out, `/portDefinitions(${i})/port`, d.port));
  uniqueNames(out, '/portDefinitions', def.portDefinitions.map((d) => d.name));
  const fixed = def.portDefinitions.map((d) => d.port).filter((p) => p !== 0);
  if (new Set(fixed).size !== fixed.length) out.add('/portDefinitions', 'Ports must be unique.');

  const modes = def.networks.map((n) => n.mode);
  const hosts = modes.filter((m) => m === 'host').length;
  const bridges = modes.filter((m) => m === 'container/bridge').length;
  if ((hosts && modes.length > 1) || (bridges && modes.length > 1))
    out.add('/networks', 'Must specify either a single host network, or else 1-to-n container networks');
  if (def.container?.type === 'DOCKER' && modes.filter((m) => m === 'container').length > 1)
    out.add('/', 'may only specify a single container network when using the Docker container engine');

  const portCount = def.portMappings.length || def.portDefinitions.length;
  let mesosChecks = 0;
  def.healthChecks.forEach((h, i) => {
    const p = `/healthChecks(${i})`;
    if (MESOS_PROTOCOLS.has(h.protocol)) mesosChecks++;
    if (['HTTP', 'HTTPS', 'TCP'].includes(h.protocol) && !h.command) {
      const ok = h.portIndex !== undefined ? h.portIndex >= 0 && h.portIndex < portCount : h.port !== undefined;
      if (!ok) out.add(p, 'Health check port indices must address an element of the ports array or container port mappings.');
    }
    if (h.protocol === 'COMMAND' && !h.command) out.add(`${p}/command`, 'must be defined');
    checkMin(out, `${p}/gracePeriodSeconds`, h.gracePeriodSeconds, 0);
    checkMin(out, `${p}/intervalSeconds`, h.intervalSeconds, 0);
    checkMin(out, `${p}/timeoutSeconds`, h.timeoutSeconds, 0);
    checkMin(out, `${p}/maxConsecutiveFailures`, h.maxConsecutiveFailures, 0);
  });
  if (mesosChecks > 1) out.add('/', 'AppDefinition can contain at most one Mesos health check');

  for (const key of ['minimumHealthCapacity', 'maximumOverCapacity'] as const) {
    const v = def.upgradeStrategy[key];
    if (v > 1) out.add(`/upgradeStrategy/${key}`, 'is greater than 1');
    if (v < 0) out.add(`/upgradeStrategy/${key}`, 'is less than 0');
  }
  // The stand-in cannot evaluate readiness checks (it has no readiness prober); refusing them beats storing a
  // check that a real Marathon would hold the deployment on (src/main/scala/mesosphere/marathon/api/v2/validation/AppValidation.scala accepts them).
  if (def.readinessChecks.length) out.add('/readinessChecks', 'marathon-standin does not evaluate readiness checks');
  def.constraints.forEach((c, i) => {
    if (c.length < 2 || c.length > 3) out.add(`/constraints(${i})`, 'Each constraint must have either 2 or 3 fields');
    else if (!CONSTRAINT_OPERATORS.includes(c[1] ?? ''))
      out.add(`/constraints(${i})`, `Constraint operator must be one of ${CONSTRAINT_OPERATORS.join(', ')}`);
  });
}

// ---------------------------------------------------------------- entry point

export interface ValidatedApp {
  def: AppDef;
  /** The canonical input after merging (what a later partial PUT merges onto). */
  raw: Json;
}

export interface AppInputOptions {
  method: 'POST' | 'PUT';
  /** Absolute id from the URL (PUT); wins over the body's id. */
  pathId?: string;
  /** Existing app's raw input for a partial update (PUT with partialUpdate != false). */
  mergeOnto?: Json;
}

export type RollbackRequest = { rollbackTo: string };

export function absoluteId(id: string): string {
  const abs = id.startsWith('/') ? id : `/${id}`;
  return abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
}

export function readApp(f: Features, body: unknown, opts: AppInputOptions): ValidatedApp | RollbackRequest | HttpError {
  enumCaseInsensitive = !f.legacyApps;
  const reads = new Violations();
  if (!isObject(body)) reads.add('/', 'error.expected.jsobject');
  else appSchema(body, '', reads);
  if (opts.method === 'POST' && isObject(body) && (body.id === undefined || body.id === null)) reads.add('/id', 'error.path.missing');
  if (!reads.empty) return { status: f.typeErrorStatus, body: { message: 'Invalid JSON', details: reads.details() } };
  const input = dropNulls(body) as Json;

  const out = new Violations();
  if (opts.method === 'PUT' && input.version !== undefined) {
    const others = Object.keys(input).filter((k) => k !== 'version' && k !== 'id');
    if (others.length) out.add('/', "The 'version' field may only be combined with the 'id' field.");
    else return { rollbackTo: input.version as string };
  }
  delete input.version;
  const canonical = canonicalize(input, f, opts.mergeOnto ? 'update' : 'create', out);
  if (!out.empty) return { status: 422, body: { message: 'Object is not valid', details: out.details() } };

  const raw: Json = opts.mergeOnto ? { ...clone(opts.mergeOnto), ...canonical } : canonical;
  raw.id = opts.pathId ?? absoluteId(String(input.id));
  const def = withDefaults(raw, f, opts.method, out);
  semantic(def, f, out);
  if (!out.empty) return { status: 422, body: { message: 'Object is not valid', details: out.details() } };
  return { def, raw };
}
