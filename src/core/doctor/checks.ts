// `deployer doctor`: what is wrong with this machine and its set-up, as data. Each check is one
// result; the view (render.ts) prints one line per result and the CLI decides the exit code from
// them. Pure: the probing is done by src/planners/doctor.ts through the ports.

export type CheckStatus = 'ok' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable, for `--json` consumers: `engine`, `registry.push`, `host.lb1.nginx-test`. */
  id: string;
  /** What is checked, for people: "Docker engine", "lb1: nginx -t passes". */
  title: string;
  status: CheckStatus;
  /** What was found: a version, the failure, or why the check was skipped. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export const ok = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'ok', detail });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });
export const fail = (id: string, title: string, detail: string, fix?: string): CheckResult => ({
  id, title, status: 'fail', detail, ...(fix ? { fix } : {}),
});

/** 0 when nothing failed (skipped checks follow from a failed one, which already counts), else 1. */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}

/** The Node.js versions deployer supports: package.json `engines` (vite, under vitest, needs 20.19). */
export const MINIMUM_NODE = '20.19.0';

function versionParts(v: string): number[] {
  return v.replace(/^v/, '').split('.').map((p) => Number.parseInt(p, 10) || 0);
}

export function atLeast(version: string, minimum: string): boolean {
  const a = versionParts(version);
  const b = versionParts(minimum);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export function checkNode(version: string, minimum = MINIMUM_NODE): CheckResult {
  return atLeast(version, minimum)
    ? ok('node', 'Node.js', `${version} (needs ${minimum} or later)`)
    : fail('node', 'Node.js', `${version} is older than ${minimum}`, `install Node.js ${minimum} or later (e.g. from nodesource or nvm)`);
}

/**
 * Whether nginx has the Lua module: compiled in (`--add-module=…lua-nginx-module` or
 * `--add-dynamic-module`, in `nginx -V` output) or loaded from Debian's modules-enabled
 * (`50-mod-http-lua.conf`).
 */
export function hasLuaModule(nginxV: string, modulesEnabled: readonly string[] | null): boolean {
  if (/lua-nginx-module|ngx_http_lua_module/i.test(nginxV)) return true;
  return (modulesEnabled ?? []).some((n) => /lua/i.test(n));
}

/** The last `[emerg]`/`[alert]` line of `nginx -t` output (it writes everything to stderr), or its last line. */
export function nginxProblem(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.filter((l) => /\[(emerg|alert|crit|error)\]/.test(l));
  return (bad[bad.length - 1] ?? lines[lines.length - 1] ?? 'no output').replace(/^nginx: /, '');
}
