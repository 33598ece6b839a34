import { posix } from 'node:path';

// The include tree of an nginx configuration, enough to build a *shadow* of it in which the live
// upstream file is replaced by the staged one — wherever the live file is reached from: an explicit
// `include`, a glob like Debian's `include /etc/nginx/conf.d/*.conf;`, or a file included by
// another (sites-enabled/app including backend.conf). Every file on the path from the main config to
// the live file gets a shadow copy beside it (a dot file, so no glob picks it up); in each, includes
// of the live file point at the staged file, includes of other shadowed files at their shadows, and
// a glob that matched any of them is expanded into explicit includes (in glob(3)'s sorted order,
// without dot files, as nginx does). Every other file is included as it is.
//
// Relative include paths resolve against the directory of the main config (nginx's conf prefix),
// in every file. Pure: the files and directory listings are gathered by the caller (`needs`).

export const SHADOW_SUFFIX = '.deployer-test';

export function shadowOf(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}${SHADOW_SUFFIX}`);
}

export interface Include {
  /** Offsets of the include's argument, quotes included, in the file text. */
  start: number;
  end: number;
  /** Absolute path or pattern. */
  target: string;
  glob: boolean;
}

const GLOB = /[*?[]/;

export function parseIncludes(text: string, prefixDir: string): Include[] {
  const out: Include[] = [];
  // Comments are blanked first (keeping offsets) so a commented-out include is ignored.
  const masked = text.replace(/#[^\n]*/g, (m) => ' '.repeat(m.length));
  const re = /(^|[;{}\s])include\s+(?:"([^"]*)"|'([^']*)'|([^\s;'"#]+))\s*;/g;
  for (const m of masked.matchAll(re)) {
    const arg = m[2] ?? m[3] ?? m[4] ?? '';
    const quote = m[2] !== undefined || m[3] !== undefined ? 1 : 0;
    const afterKeyword = m.index! + m[1]!.length + 'include'.length;
    const start = afterKeyword + masked.slice(afterKeyword).search(/\S/);
    const target = posix.resolve(prefixDir, arg);
    out.push({ start, end: start + arg.length + 2 * quote, target, glob: GLOB.test(arg) });
  }
  return out;
}

/** glob(3) on one directory level: `*`, `?`, `[...]`; a leading dot is never matched by a wildcard. */
export function globMatch(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}

export interface ConfFacts {
  /** File texts by absolute path; null when the file does not exist or cannot be read. */
  files: Record<string, string | null>;
  /** Directory listings (names) by absolute path; null when the directory does not exist. */
  dirs: Record<string, string[] | null>;
}

/**
 * The files an include names. `live` is the file being written: a glob that would match it counts
 * it even while it does not exist yet (a first deploy's preview file under Debian's conf.d/*.conf),
 * since nginx will read it there once it is created.
 */
function expand(inc: Include, facts: ConfFacts, live?: string): string[] | undefined {
  if (!inc.glob) return [inc.target];
  const dir = posix.dirname(inc.target);
  const names = facts.dirs[dir];
  if (names === undefined) return undefined;
  const base = posix.basename(inc.target);
  const all = new Set(names ?? []);
  if (live !== undefined && posix.dirname(live) === dir) all.add(posix.basename(live));
  return [...all].filter((n) => globMatch(base, n)).sort().map((n) => posix.join(dir, n));
}

/** What must still be read to resolve the tree from `main` (empty when everything is known). */
export function needs(main: string, facts: ConfFacts, skip: ReadonlySet<string> = new Set()): { files: string[]; dirs: string[] } {
  const files = new Set<string>();
  const dirs = new Set<string>();
  const prefix = posix.dirname(main);
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || skip.has(path)) return;
    seen.add(path);
    const text = facts.files[path];
    if (text === undefined) {
      files.add(path);
      return;
    }
    if (text === null) return;
    for (const inc of parseIncludes(text, prefix)) {
      if (inc.glob && GLOB.test(posix.dirname(inc.target))) continue;
      const targets = expand(inc, facts);
      if (!targets) dirs.add(posix.dirname(inc.target));
      else targets.forEach(visit);
    }
  };
  visit(main);
  return { files: [...files], dirs: [...dirs] };
}

/** A path as an nginx directive argument (quoted when it holds characters nginx would split on). */
function confArg(path: string): string {
  return /[\s;{}#'"\\$]/.test(path) ? `"${path.replace(/(["\\$])/g, '\\$1')}"` : path;
}

export type ShadowPlan =
  | { ok: true; root: string; files: { path: string; of: string; text: string }[] }
  | { ok: false; problem: string };

/** The shadow files to write so that `nginx -c <root>` reads `staged` where it would read `live`. */
export function shadowTree(main: string, live: string, staged: string, facts: ConfFacts): ShadowPlan {
  const prefix = posix.dirname(main);
  const parsed = new Map<string, Include[]>();
  const includesOf = (path: string) => {
    if (!parsed.has(path)) parsed.set(path, parseIncludes(facts.files[path] ?? '', prefix));
    return parsed.get(path)!;
  };
  if (facts.files[main] === undefined || facts.files[main] === null) return { ok: false, problem: `the main config ${main} does not exist` };
  // Which files reach the live file (memoised; a cycle counts as not reaching).
  const reaches = new Map<string, boolean>();
  const reach = (path: string): boolean => {
    if (path === live) return true;
    if (reaches.has(path)) return reaches.get(path)!;
    reaches.set(path, false);
    if (typeof facts.files[path] !== 'string') return false;
    let r = false;
    for (const inc of includesOf(path)) {
      if (inc.glob && GLOB.test(posix.dirname(inc.target))) continue;
      for (const t of expand(inc, facts, live) ?? []) if (reach(t)) r = true;
    }
    reaches.set(path, r);
    return r;
  };
  if (!reach(main)) return { ok: false, problem: `${main} does not include ${live} (directly, through a glob, or through an included file)` };
  for (const [path, r] of reaches) {
    if (!r) continue;
    for (const inc of includesOf(path)) {
      if (inc.glob && GLOB.test(posix.dirname(inc.target))) return { ok: false, problem: `${path} includes ${inc.target}: wildcards in directory names are not supported for testing a staged file` };
    }
  }
  const replacement = (t: string) => confArg(t === live ? staged : t !== main && reaches.get(t) ? shadowOf(t) : t);
  const out: { path: string; of: string; text: string }[] = [];
  for (const [path, r] of reaches) {
    if (!r || path === live) continue;
    let text = facts.files[path]!;
    for (const inc of [...includesOf(path)].reverse()) {
      const targets = expand(inc, facts, live) ?? [];
      if (!targets.some((t) => t === live || reaches.get(t))) continue;
      const arg = inc.glob ? targets.map(replacement) : [replacement(inc.target)];
      // A glob becomes one include per match; the statement keeps its place in the file.
      const rewritten = arg.map((a, i) => (i === 0 ? a : `include ${a}`)).join('; ');
      text = `${text.slice(0, inc.start)}${arg.length ? rewritten : '/dev/null'}${text.slice(inc.end)}`;
    }
    out.push({ path: shadowOf(path), of: path, text });
  }
  return { ok: true, root: shadowOf(main), files: out };
}
