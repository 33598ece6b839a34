// .dockerignore, with the semantics of Docker's own matcher (moby/patternmatcher): one pattern per
// line, `#` comments, `!` exceptions (last match wins), paths relative to the context root, `*` and
// `?` never cross `/`, `**` crosses any number of directories, and a pattern that matches a parent
// directory excludes everything below it. Used twice, so a full build and a delta agree exactly:
// to filter the full build's context, and to decide which changed files a delta copies.

export interface IgnorePattern {
  exclusion: boolean;
  pattern: string;
  re: RegExp;
}

/** Go's path.Clean for slash paths: collapses `//`, `.` and `..`, drops a trailing slash. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  return rooted ? `/${joined}` : joined || '.';
}

/** The lines of a .dockerignore as Docker reads them (ignorefile.ReadAll). */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const raw of lines) {
    if (raw.startsWith('#')) continue;
    let p = raw.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    patterns.push(invert ? `!${p}` : p);
  }
  return patterns;
}

const REGEX_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

function compilePattern(pattern: string): RegExp {
  let re = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next === undefined) re += '\\\\';
      else {
        re += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`;
        i++;
      }
    } else if (ch === '[' || ch === ']') {
      re += ch;
    } else if (REGEX_SPECIAL.has(ch)) {
      re += `\\${ch}`;
    } else {
      re += ch;
    }
  }
  return new RegExp(`${re}$`, 'u');
}

export function compilePatterns(patterns: readonly string[]): IgnorePattern[] {
  return patterns.map((p) => {
    const exclusion = p.startsWith('!');
    // Normalised again here so raw patterns (not read through parseDockerignore) match the same way.
    let pattern = exclusion ? p.slice(1).trim() : p;
    if (pattern.length) pattern = cleanPath(pattern).replace(/^\/(?=.)/, '');
    let re: RegExp;
    try {
      re = compilePattern(pattern);
    } catch {
      // Docker rejects such a file ("syntax error in pattern"); never matching is the safe reading
      // here because the planner reports the pattern (see invalidPatterns).
      re = /(?!)/;
    }
    return { exclusion, pattern, re };
  });
}

/** Patterns Docker would reject (an unbalanced `[`). */
export function invalidPatterns(patterns: readonly string[]): string[] {
  return patterns.filter((p) => {
    try {
      compilePattern(p.replace(/^!/, ''));
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * Returns a predicate: true when a context-relative path (e.g. `docs/a.md`) is excluded.
 * MatchesOrParentMatches: each pattern is tried on the path and on each of its parent directories.
 */
export function dockerignoreMatcher(patterns: readonly string[]): (path: string) => boolean {
  const compiled = compilePatterns(patterns);
  if (compiled.length === 0) return () => false;
  return (path) => {
    const file = cleanPath(path.replace(/\/+$/, ''));
    const dirs = file.split('/').slice(0, -1);
    let matched = false;
    for (const p of compiled) {
      // An exception can only undo a match, and an exclusion only matters while unmatched.
      if (p.exclusion !== matched) continue;
      let match = p.re.test(file);
      for (let i = 1; !match && i <= dirs.length; i++) match = p.re.test(dirs.slice(0, i).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  };
}
