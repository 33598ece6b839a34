// JSON shapes by version (docs/marathon-api.md §1.4, §2.2, §3, §4.2 and the marathon-examples/ payloads):
// ≤1.4 apps: docker.network + docker.portMappings, ports/portDefinitions, nulls for unset fields;
// ≥1.5 apps: networks + container.portMappings, empty optionals omitted; ≤1.5 tasks: hand-written writers
// (nulls, empty healthCheckResults/servicePorts omitted); ≥1.6 tasks: RAML (None omitted, arrays always written).

import type { Features } from './features.js';
import type { AppDef, AppRecord, AppSnapshot, Deployment, HealthCheck, HealthResult, TaskRecord } from './types.js';

export interface RenderContext {
  f: Features;
  /** Fault: tasks report no health results. */
  omitHealthResults: boolean;
  /** Fault: what tasks report as host and ports instead of the real ones. */
  taskData?: { host?: unknown; ports?: unknown };
}

export function servicePortsOf(def: AppDef): number[] {
  return def.portMappings.length ? def.portMappings.map((m) => m.servicePort) : def.portDefinitions.map((d) => d.port);
}

export function healthCheckJson(h: HealthCheck, f: Features): Record<string, unknown> {
  const out: Record<string, unknown> = {
    gracePeriodSeconds: h.gracePeriodSeconds,
    intervalSeconds: h.intervalSeconds,
    maxConsecutiveFailures: h.maxConsecutiveFailures,
  };
  if (h.path !== undefined) out.path = h.path;
  if (h.portIndex !== undefined) out.portIndex = h.portIndex;
  if (h.port !== undefined) out.port = h.port;
  out.protocol = h.protocol;
  out.timeoutSeconds = h.timeoutSeconds;
  if (h.delaySeconds !== undefined) out.delaySeconds = h.delaySeconds;
  if (h.ignoreHttp1xx !== undefined) out.ignoreHttp1xx = h.ignoreHttp1xx;
  if (h.command !== undefined) out.command = h.command;
  else if (f.legacyApps) out.command = null;
  if (h.ipProtocol !== undefined) out.ipProtocol = h.ipProtocol;
  return out;
}

function mappingJson(m: AppDef['portMappings'][number], legacy: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { containerPort: m.containerPort };
  if (m.hostPort !== undefined) out.hostPort = m.hostPort;
  if (legacy) {
    out.servicePort = m.servicePort;
    out.protocol = m.protocol;
    if (m.name !== undefined) out.name = m.name;
    out.labels = m.labels;
  } else {
    out.labels = m.labels;
    if (m.name !== undefined) out.name = m.name;
    out.protocol = m.protocol;
    out.servicePort = m.servicePort;
    if (m.networkNames !== undefined) out.networkNames = m.networkNames;
  }
  return out;
}

/** The app definition part of AppInfo (also used inside root groups of heavy deployment plans). */
export function appDefinitionJson(s: AppSnapshot, f: Features): Record<string, unknown> {
  const d = s.def;
  const hostMode = d.networks.some((n) => n.mode === 'host');
  const bridge = d.networks.some((n) => n.mode === 'container/bridge');
  if (f.legacyApps) {
    const ports = servicePortsOf(d);
    const userNet = d.networks.find((n) => n.mode === 'container');
    const json: Record<string, unknown> = {
      id: d.id,
      cmd: d.cmd ?? null,
      args: d.args ?? null,
      user: d.user ?? null,
      env: d.env,
      instances: d.instances,
      cpus: d.cpus,
      mem: d.mem,
      disk: d.disk,
      gpus: d.gpus,
      executor: d.executor,
      constraints: d.constraints,
      uris: d.fetch.map((x) => (x as { uri: string }).uri),
      fetch: d.fetch,
      storeUrls: [],
      backoffSeconds: d.backoffSeconds,
      backoffFactor: d.backoffFactor,
      maxLaunchDelaySeconds: d.maxLaunchDelaySeconds,
      container: d.container
        ? {
            type: d.container.type,
            volumes: d.container.volumes,
            ...(d.container.docker
              ? {
                  docker: {
                    image: d.container.docker.image,
                    network: hostMode ? 'HOST' : bridge ? 'BRIDGE' : 'USER',
                    portMappings: hostMode ? null : d.portMappings.map((m) => mappingJson(m, true)),
                    privileged: d.container.docker.privileged,
                    parameters: d.container.docker.parameters,
                    forcePullImage: d.container.docker.forcePullImage,
                  },
                }
              : {}),
          }
        : null,
      healthChecks: d.healthChecks.map((h) => healthCheckJson(h, f)),
      readinessChecks: d.readinessChecks,
      dependencies: d.dependencies,
      upgradeStrategy: d.upgradeStrategy,
      labels: d.labels,
      acceptedResourceRoles: d.acceptedResourceRoles ?? null,
      ipAddress: userNet
        ? { groups: [], labels: {}, discovery: { ports: [] }, ...(userNet.name ? { networkName: userNet.name } : {}) }
        : null,
      version: s.version,
      residency: null,
      secrets: d.extra.secrets ?? {},
      taskKillGracePeriodSeconds: d.taskKillGracePeriodSeconds ?? null,
      versionInfo: s.versionInfo,
      ports,
      portDefinitions: hostMode
        ? d.portDefinitions.map((p) => ({ port: p.port, protocol: p.protocol, ...(p.name ? { name: p.name } : {}), labels: p.labels }))
        : ports.map((port) => ({ port, protocol: 'tcp', labels: {} })),
      requirePorts: d.requirePorts,
    };
    if (f.v14) {
      json.unreachableStrategy = d.unreachableStrategy;
      json.killSelection = d.killSelection;
    }
    return json;
  }

  const json: Record<string, unknown> = { id: d.id };
  if (d.cmd !== undefined) json.cmd = d.cmd;
  if (d.args !== undefined) json.args = d.args;
  if (d.user !== undefined) json.user = d.user;
  if (Object.keys(d.env).length) json.env = d.env;
  json.backoffFactor = d.backoffFactor;
  json.backoffSeconds = d.backoffSeconds;
  if (d.constraints.length) json.constraints = d.constraints;
  if (d.container || !hostMode) {
    const c = d.container ?? { type: 'MESOS' as const, volumes: [] };
    json.container = {
      type: c.type,
      ...(c.docker
        ? {
            docker: {
              forcePullImage: c.docker.forcePullImage,
              image: c.docker.image,
              parameters: c.docker.parameters,
              privileged: c.docker.privileged,
            },
          }
        : {}),
      volumes: c.volumes,
      ...(hostMode ? {} : { portMappings: d.portMappings.map((m) => mappingJson(m, false)) }),
    };
  }
  json.cpus = d.cpus;
  if (d.dependencies.length) json.dependencies = d.dependencies;
  json.disk = d.disk;
  json.executor = d.executor;
  if (d.fetch.length) json.fetch = d.fetch;
  if (d.healthChecks.length) json.healthChecks = d.healthChecks.map((h) => healthCheckJson(h, f));
  json.instances = d.instances;
  json.labels = d.labels;
  json.maxLaunchDelaySeconds = d.maxLaunchDelaySeconds;
  json.mem = d.mem;
  json.gpus = d.gpus;
  json.networks = d.networks;
  if (hostMode)
    json.portDefinitions = d.portDefinitions.map((p) => ({ port: p.port, ...(p.name ? { name: p.name } : {}), protocol: p.protocol, labels: p.labels }));
  if (d.readinessChecks.length) json.readinessChecks = d.readinessChecks;
  json.requirePorts = d.requirePorts;
  if (d.acceptedResourceRoles) json.acceptedResourceRoles = d.acceptedResourceRoles;
  if (d.taskKillGracePeriodSeconds !== undefined) json.taskKillGracePeriodSeconds = d.taskKillGracePeriodSeconds;
  json.upgradeStrategy = d.upgradeStrategy;
  json.version = s.version;
  json.versionInfo = s.versionInfo;
  json.killSelection = d.killSelection;
  json.unreachableStrategy = d.unreachableStrategy;
  if (f.role) json.role = (d.extra.role as string | undefined) ?? '*';
  for (const [k, v] of Object.entries(d.extra)) if (k !== 'role') json[k] = v;
  return json;
}

/** Marathon's "healthy": every health check has a result and all are alive (§1.4 tasksHealthy). */
export function taskHealthy(t: TaskRecord): boolean {
  return t.def.healthChecks.length > 0 && t.health.length === t.def.healthChecks.length && t.health.every((h) => h?.alive === true);
}

function healthResultJson(t: TaskRecord, h: HealthResult, f: Features): Record<string, unknown> {
  const out: Record<string, unknown> = {
    alive: h.alive,
    consecutiveFailures: h.consecutiveFailures,
    firstSuccess: h.firstSuccess,
    lastFailure: h.lastFailure,
    lastSuccess: h.lastSuccess,
  };
  if (f.lastFailureCause) out.lastFailureCause = h.lastFailureCause;
  if (f.v14) out.instanceId = t.instanceId;
  else out.taskId = t.id;
  if (f.ramlTasks) for (const k of Object.keys(out)) if (out[k] === null) delete out[k];
  return out;
}

export function taskJson(real: TaskRecord, ctx: RenderContext, withServicePorts: boolean): Record<string, unknown> {
  const { f } = ctx;
  // Host ports are reported once the task is active (launched on its agent), not while it is staged — follows
  // src/main/scala/mesosphere/marathon/raml/TaskConversion.scala (ports of the task's status).
  const active = real.state !== 'TASK_STAGING' ? real : { ...real, ports: [] };
  const t = ctx.taskData ? ({ ...active, ...ctx.taskData } as TaskRecord) : active;
  const results = ctx.omitHealthResults ? [] : t.health.filter((h): h is HealthResult => h !== undefined).map((h) => healthResultJson(t, h, f));
  const servicePorts = withServicePorts ? t.servicePorts : [];
  if (f.ramlTasks) {
    const out: Record<string, unknown> = {
      appId: t.appId,
      healthCheckResults: results,
      host: t.host,
      id: t.id,
      ipAddresses: t.ipAddresses,
      ports: t.ports,
      servicePorts,
      slaveId: t.agentId,
      state: t.state,
      stagedAt: t.stagedAt,
      version: t.version,
      localVolumes: [],
    };
    if (t.startedAt) out.startedAt = t.startedAt;
    if (f.role) out.role = '*';
    return out;
  }
  const out: Record<string, unknown> = { id: t.id, slaveId: t.agentId, host: t.host };
  if (f.taskState) out.state = t.state;
  out.startedAt = t.startedAt ?? null;
  out.stagedAt = t.stagedAt;
  out.ports = t.ports;
  out.version = t.version;
  out.ipAddresses = t.ipAddresses;
  out.appId = t.appId;
  if (servicePorts.length) out.servicePorts = servicePorts;
  if (results.length) out.healthCheckResults = results;
  return out;
}

export interface Embeds {
  tasks: boolean;
  counts: boolean;
  deployments: boolean;
  lastTaskFailure: boolean;
  readiness: boolean;
}

/** `embed` values (§1.1 InfoEmbedResolver): prefixes apps./app./group.apps./none; unknown values ignored. */
export function parseEmbeds(values: string[], base: Partial<Embeds>): Embeds {
  const e: Embeds = { tasks: false, counts: false, deployments: false, lastTaskFailure: false, readiness: false, ...base };
  for (const raw of values) {
    const v = raw.replace(/^(group\.apps\.|apps\.|app\.)/, '');
    if (v === 'tasks') Object.assign(e, { tasks: true, deployments: true });
    else if (v === 'counts') e.counts = true;
    else if (v === 'deployments') e.deployments = true;
    else if (v === 'readiness') e.readiness = true;
    else if (v === 'lastTaskFailure') e.lastTaskFailure = true;
    else if (v === 'failures') Object.assign(e, { tasks: true, lastTaskFailure: true, deployments: true });
  }
  return e;
}

export function appInfoJson(app: AppRecord, deploymentIds: string[], embed: Embeds, ctx: RenderContext): Record<string, unknown> {
  const json = appDefinitionJson(app, ctx.f);
  const live = app.tasks;
  if (embed.counts) {
    const withChecks = !ctx.omitHealthResults;
    json.tasksStaged = live.filter((t) => t.state === 'TASK_STAGING' || t.state === 'TASK_STARTING').length;
    json.tasksRunning = live.filter((t) => t.state === 'TASK_RUNNING').length;
    json.tasksHealthy = withChecks ? live.filter(taskHealthy).length : 0;
    json.tasksUnhealthy = withChecks ? live.filter((t) => t.health.some((h) => h && !h.alive)).length : 0;
  }
  if (embed.deployments) json.deployments = deploymentIds.map((id) => ({ id }));
  if (embed.readiness) json.readinessCheckResults = [];
  if (embed.tasks) json.tasks = live.map((t) => taskJson(t, ctx, true));
  if (embed.lastTaskFailure && app.lastTaskFailure) json.lastTaskFailure = app.lastTaskFailure;
  return json;
}

export function stepsJson(d: Deployment): { actions: { action: string; app: string }[] }[] {
  return d.steps.map((s) => ({ actions: s.map((a) => ({ action: a.action, app: a.app })) }));
}

export function deploymentJson(d: Deployment, f: Features): Record<string, unknown> {
  const current = d.currentStep > 0 ? (d.steps[d.currentStep - 1] ?? []) : [];
  return {
    id: d.id,
    version: d.version,
    affectedApps: [d.appId],
    ...(f.v14 ? { affectedPods: [] } : {}),
    steps: stepsJson(d),
    currentActions: current.map((a) => ({ action: a.action, app: a.app, readinessCheckResults: [] })),
    currentStep: d.currentStep,
    totalSteps: d.steps.length,
  };
}

/** Root group `{id:"/", apps, groups, dependencies, version}` for heavy plans (`original`/`target`, §4.2). */
export function rootGroupJson(apps: AppSnapshot[], version: string, f: Features): Record<string, unknown> {
  type G = { id: string; apps: Record<string, unknown>[]; groups: Map<string, G> };
  const root: G = { id: '/', apps: [], groups: new Map() };
  for (const a of [...apps].sort((x, y) => x.def.id.localeCompare(y.def.id))) {
    const parts = a.def.id.split('/').filter(Boolean);
    let g = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const id = `/${parts.slice(0, i + 1).join('/')}`;
      let child = g.groups.get(id);
      if (!child) g.groups.set(id, (child = { id, apps: [], groups: new Map() }));
      g = child;
    }
    g.apps.push(appDefinitionJson(a, f));
  }
  const toJson = (g: G): Record<string, unknown> => ({
    id: g.id,
    apps: g.apps,
    groups: [...g.groups.values()].map(toJson),
    ...(f.legacyApps ? {} : { pods: [] }),
    dependencies: [],
    version,
  });
  return toJson(root);
}
