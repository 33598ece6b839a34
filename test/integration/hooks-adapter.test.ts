import { describe, expect, it } from 'vitest';
import { localHooks } from '../../src/adapters/hooks.js';
import type { HookRun } from '../../src/ports/hooks.js';
import { waitFor } from '../support/wait.js';

// The hook runner against real processes: argv without a shell, the environment it passes on, line
// streaming from both streams, and how it ends a hook (timeout, Ctrl-C) together with its children.

const hooks = localHooks({ cwd: '/tmp', env: { PATH: process.env.PATH, HOME: '/root', DEPLOYER_UI_TOKEN: 'secret', DEPLOYER_WHO: 'stale' } });
function run(argv: string[], opts: Partial<HookRun> = {}) {
  const lines: string[] = [];
  const done = hooks.run({ argv, env: {}, timeoutMs: 30_000, signal: new AbortController().signal, onLine: (l) => lines.push(l), ...opts });
  return { lines, done };
}

describe('localHooks', () => {
  it('passes arguments verbatim (no shell), streams stdout and stderr lines, in the config directory', async () => {
    const { lines, done } = run(['/bin/sh', '-c', 'printf "%s\\n" "$1"; pwd; echo oops >&2; exit 0', 'sh', "it's $HOME; rm -rf /"]);
    expect(await done).toEqual({ ok: true, timedOut: false, exitCode: 0 });
    expect(lines).toEqual(expect.arrayContaining(["it's $HOME; rm -rf /", '/tmp', 'oops']));
  });

  it("gives the hook its DEPLOYER_* variables and none of deployer's own", async () => {
    const { lines, done } = run(['/bin/sh', '-c', 'env | grep "^DEPLOYER_" | sort; echo "home=$HOME"'], { env: { DEPLOYER_REVISION: 'abc' } });
    await done;
    expect(lines).toEqual(['DEPLOYER_REVISION=abc', 'home=/root']);
  });

  it('reports the exit code, a program that cannot start, and a timeout that kills the children too', async () => {
    expect(await run(['/bin/sh', '-c', 'exit 9']).done).toEqual({ ok: false, timedOut: false, exitCode: 9 });
    expect(await run(['/nonexistent/hook']).done).toEqual({ ok: false, timedOut: false, startError: 'ENOENT: /nonexistent/hook' });
    // The backgrounded sleep keeps the output pipe open: the run only ends if the whole group is killed.
    expect(await run(['/bin/sh', '-c', 'sleep 60 & wait'], { timeoutMs: 300 }).done).toEqual({ ok: false, timedOut: true, signal: 'SIGTERM' });
  });

  it('ends the hook when the command is interrupted', async () => {
    const ac = new AbortController();
    const { lines, done } = run(['/bin/sh', '-c', 'echo started; sleep 60 & wait'], { signal: ac.signal });
    await waitFor(() => lines.includes('started'), { what: 'the hook to start' });
    ac.abort(new Error('SIGINT'));
    expect(await done).toMatchObject({ ok: false, timedOut: false, signal: 'SIGTERM' });
  });
});
