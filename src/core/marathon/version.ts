// Marathon versions as /v2/info reports them ("1.5.0", "1.10.17", "1.4.0-SNAPSHOT").

export type VersionTuple = [number, number, number];

export function parseMarathonVersion(v: string): VersionTuple | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

export function atLeast(v: VersionTuple, major: number, minor: number, patch = 0): boolean {
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

export type PayloadStyle = 'legacy' | 'networks';

/**
 * 1.5 moved Docker networking to `networks` + `container.portMappings`; before it, the network and
 * port mappings live under `container.docker` (docs/marathon-api.md §1.2). An unparseable version gets the
 * 1.5+ style, which every Marathon since 2017 accepts.
 */
export function payloadStyle(version: string): PayloadStyle {
  const v = parseMarathonVersion(version);
  return v && !atLeast(v, 1, 5) ? 'legacy' : 'networks';
}
