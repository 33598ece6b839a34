import { posix } from 'node:path';
import { shadowOf } from './include-tree.js';

// How a staged file is tested before it goes live ("a config that uses it", with a stock nginx).
//
// The staged file sits beside the live one under a name no include glob picks up
// (`.backend.conf.deployer-staged`: a dot file, not ending in .conf). To test it, deployer writes a
// *shadow* of the configuration beside the real files (src/core/nginx/include-tree.ts): a copy of
// the main config, and of every file on the include path to the live file, with that path leading
// to the staged file instead — explicit includes, globs like `conf.d/*.conf` and nested includes
// alike. `switch.test` then runs with `-c <shadow of the main config>`: nginx checks the whole
// configuration exactly as it will be after the rename, without touching the live file or the
// running nginx. Shadows are removed right after the test.
//
// The main config is the `-c` argument of the nginx in `switch.test` (it may be wrapped, e.g.
// `sudo nginx -t`), else nginx's usual default /etc/nginx/nginx.conf. A test command may instead
// name `{staged}` (and `{file}`): deployer then substitutes the paths and runs it as given.

export const STAGED_SUFFIX = '.deployer-staged';
export const DEFAULT_MAIN_CONFIG = '/etc/nginx/nginx.conf';

export function stagedPath(live: string): string {
  return posix.join(posix.dirname(live), `.${posix.basename(live)}${STAGED_SUFFIX}`);
}

export function shadowPath(main: string): string {
  return shadowOf(main);
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

/** An argv as a person would type it (shell-quoted where needed); for display only, never run. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
