// Version switches of the Marathon stand-in. Each flag cites the section of
// docs/marathon-api.md (§n) it comes from; "inference" marks where the doc gives no exact version.

export interface Features {
  version: string;
  /** < 1.5: responses use container.docker.network/portMappings, ports, nulls (§1.2, §1.4); `networks` and
   *  `container.portMappings` are unknown input fields (ignored like any unknown field — inference). */
  legacyApps: boolean;
  /** >= 1.4: Marathon-Deployment-Id header, instanceId in health results/events, instance_* events (§7). */
  v14: boolean;
  /** >= 1.1: lastFailureCause in health results (§2.2). */
  lastFailureCause: boolean;
  /** >= 1.2: task `state` (§2.2). */
  taskState: boolean;
  /** >= 1.6: RAML-generated task JSON: None omitted, empty arrays written (§2.2). */
  ramlTasks: boolean;
  /** Status for ill-typed JSON: 400 in 0.x–1.x docs, 422 at HEAD (§6). We switch at 1.5 (RAML readers; inference). */
  typeErrorStatus: 400 | 422;
  /** >= 1.8: ids must not end in restart/tasks/versions; task ids carry an incarnation (§0, §2.2). */
  v18: boolean;
  /** >= 1.5.9 accepts plan-format=light; >= 1.7 it is the default; >= 1.8 the only format (§4.1). */
  lightPlanAccepted: boolean;
  lightPlanDefault: boolean;
  /** >= 1.7: deployment_failed.reason (§4.2). */
  failedReason: boolean;
  /** >= 1.9: `role` on apps and tasks (§1.4). */
  role: boolean;
  /** Leader proxy (§0): without a leader 503 up to 1.6, 502 from 1.7; a standby redirects /v2/events (302)
   *  from 1.7 and proxies it before (changelog; src/main/scala/mesosphere/marathon/api/LeaderProxyFilter.scala). */
  noLeaderStatus: 502 | 503;
  /** >= 1.6: an unknown route is Jersey 2's NotFoundException, which the exception mapper turns into 500
   *  {"message":"URI not found"} (src/main/scala/mesosphere/marathon/api/MarathonExceptionMapper.scala); before: 404. */
  unknownRouteStatus: 404 | 500;
  /** >= 1.4: Mesos TASK_STARTING and TASK_UNREACHABLE reach the task JSON (partition awareness). */
  unreachableStates: boolean;
  redirectEvents: boolean;
}

export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) throw new Error(`marathon-standin: unparseable version "${v}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: [number, number, number], major: number, minor: number, patch = 0): boolean {
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

export function featuresFor(version: string): Features {
  const v = parseVersion(version);
  return {
    version,
    legacyApps: !atLeast(v, 1, 5),
    v14: atLeast(v, 1, 4),
    lastFailureCause: atLeast(v, 1, 1),
    taskState: atLeast(v, 1, 2),
    ramlTasks: atLeast(v, 1, 6),
    typeErrorStatus: atLeast(v, 1, 5) ? 422 : 400,
    v18: atLeast(v, 1, 8),
    lightPlanAccepted: atLeast(v, 1, 5, 9),
    lightPlanDefault: atLeast(v, 1, 7),
    failedReason: atLeast(v, 1, 7),
    role: atLeast(v, 1, 9),
    noLeaderStatus: atLeast(v, 1, 7) ? 502 : 503,
    redirectEvents: atLeast(v, 1, 7),
    unknownRouteStatus: atLeast(v, 1, 6) ? 500 : 404,
    unreachableStates: atLeast(v, 1, 4),
  };
}
