import { posix } from 'node:path';

// How a staged file is tested before it goes live ("a config that uses it", with a stock nginx).
//
// The staged file sits beside the live one under a name no include glob picks up
// (`.backend.conf.deployer-staged`: a dot file, not ending in .conf). To test it we write a *shadow
// main config* beside the real one: the same text, with every `include` that names the live file
// pointing at the staged file instead; then `switch.test` runs with `-c <shadow>`. Beside the real
// one, relative includes resolve exactly as in the real config (nginx resolves them against the
// directory of the -c file). The test therefore checks the whole configuration, as it will be
// after the rename, without touching the live file or the running nginx.
//
// Requirement (checked when planning, so --plan reports it): the main config must include the live
// file by name (absolute or relative), as the seed's `include /etc/nginx/conf.d/backend.conf;` did,
// and the file must not also be matched by a glob include. When that is not possible, the test
// command may contain `{staged}` (and `{file}`): deployer then substitutes the paths and runs that
// command as given, with no shadow config.

export const STAGED_SUFFIX = '.deployer-staged';
export const SHADOW_SUFFIX = '.deployer-test';
export const DEFAULT_MAIN_CONFIG = '/etc/nginx/nginx.conf';

export function stagedPath(live: string): string {
  return posix.join(posix.dirname(live), `.${posix.basename(live)}${STAGED_SUFFIX}`);
}

export function shadowPath(main: string): string {
  return posix.join(posix.dirname(main), `.${posix.basename(main)}${SHADOW_SUFFIX}`);
}

export type TestPlan =
  | { mode: 'command'; argv: string[] }
  | { mode: 'unsupported'; argv: string[] }
  | { mode: 'shadow'; main: string; shadow: string; argv: string[] };

/** Where nginx itself sits in the test argv (it may be wrapped: `sudo nginx -t`, `sh -c '...' sh nginx -t`). */
function nginxIndex(test: readonly string[]): number {
  return test.findIndex((a) => posix.basename(a) === 'nginx');
}

/**
 * Decides how to run `switch.test` for a staged file (pure; the handler does the writes).
 * `mode: 'unsupported'` when the command neither runs nginx nor names {staged}: it could only test
 * the live config, which does not contain the staged file, so planning refuses it.
 */
export function planTest(test: readonly string[], live: string, staged: string): TestPlan {
  if (test.some((a) => a.includes('{staged}'))) {
    return { mode: 'command', argv: test.map((a) => a.replaceAll('{staged}', staged).replaceAll('{file}', live)) };
  }
  const at = nginxIndex(test);
  if (at < 0) return { mode: 'unsupported', argv: [...test] };
  const c = test.indexOf('-c', at + 1);
  const attached = test.findIndex((a, i) => i > at && a.startsWith('-c') && a.length > 2);
  let main: string;
  let argv: string[];
  if (c >= 0 && c + 1 < test.length) {
    main = test[c + 1]!;
    argv = [...test.slice(0, c + 1), shadowPath(main), ...test.slice(c + 2)];
  } else if (attached >= 0) {
    main = test[attached]!.slice(2);
    argv = test.map((a, i) => (i === attached ? `-c${shadowPath(main)}` : a));
  } else {
    main = DEFAULT_MAIN_CONFIG;
    argv = [...test.slice(0, at + 1), '-c', shadowPath(main), ...test.slice(at + 1)];
  }
  return { mode: 'shadow', main, shadow: shadowPath(main), argv };
}

interface IncludeHit {
  start: number;
  end: number;
  quote: string;
}

/** `include` directives naming `target` (after resolving relative paths against the main config's dir). */
function includesOf(text: string, mainPath: string, target: string): { hits: IncludeHit[]; globHit: boolean } {
  const hits: IncludeHit[] = [];
  let globHit = false;
  const base = posix.dirname(mainPath);
  const re = /(^|[;{}\s])include\s+(?:"([^"]*)"|'([^']*)'|([^\s;'"#]+))\s*;/g;
  // Comments are blanked first (keeping offsets) so a commented-out include is not rewritten.
  const masked = text.replace(/#[^\n]*/g, (m) => ' '.repeat(m.length));
  for (const m of masked.matchAll(re)) {
    const arg = m[2] ?? m[3] ?? m[4] ?? '';
    const resolved = posix.resolve(base, arg);
    const argStart = m.index! + m[0].indexOf(arg, m[1]!.length + 'include'.length);
    if (resolved === target) {
      const quote = m[2] !== undefined ? '"' : m[3] !== undefined ? "'" : '';
      hits.push({ start: argStart - quote.length, end: argStart + arg.length + quote.length, quote });
    } else if (/[*?[]/.test(arg) && globMatches(resolved, target)) {
      globHit = true;
    }
  }
  return { hits, globHit };
}

/** nginx includes use glob(3): `*`, `?` and `[...]` within one path segment. */
function globMatches(pattern: string, path: string): boolean {
  const re = pattern.split('').map((ch) => {
    if (ch === '*') return '[^/]*';
    if (ch === '?') return '[^/]';
    if (ch === '[' || ch === ']') return ch;
    return ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }).join('');
  try {
    // glob(3) does not match a leading dot with a wildcard; the staged name relies on that.
    if (/(^|\/)\.[^/]*$/.test(path) && !/(^|\/)\.[^/]*$/.test(pattern)) return false;
    return new RegExp(`^${re}$`).test(path);
  } catch {
    return false;
  }
}

export type ShadowResult = { ok: true; text: string } | { ok: false; problem: string };

/** The shadow main config text, or why the live file cannot be swapped for the staged one. */
export function shadowConfig(mainText: string, mainPath: string, live: string, staged: string): ShadowResult {
  const { hits, globHit } = includesOf(mainText, mainPath, live);
  if (globHit) {
    return { ok: false, problem: `${mainPath} includes ${live} through a glob, so a test config cannot swap in the staged file` };
  }
  if (hits.length === 0) {
    return { ok: false, problem: `${mainPath} has no \`include ${live};\` (deployer tests the staged file by swapping that include)` };
  }
  let out = mainText;
  for (const h of [...hits].reverse()) out = `${out.slice(0, h.start)}${h.quote}${staged}${h.quote}${out.slice(h.end)}`;
  return { ok: true, text: out };
}

/** True when `path` would be picked up by a glob include in the main config (the staged name must not be). */
export function globIncludes(mainText: string, mainPath: string, path: string): boolean {
  return includesOf(mainText, mainPath, path).globHit;
}

/** An argv as a person would type it (shell-quoted where needed); for display only, never run. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
