import { createInterface } from 'node:readline';
import type { HookResult, HookRunner } from '../ports/hooks.js';

// Hooks as local processes through execa with argv (never a shell), in their own process group so
// a timeout or Ctrl-C ends everything they started (`sh -c 'sleep 100'` would otherwise leave the
// sleep holding the output pipe open, and deployer waiting on it).

/** After SIGTERM, how long a hook has to exit before the group gets SIGKILL. */
const KILL_GRACE_MS = 3000;

/** The inherited environment without deployer's own variables (its secrets, a stale DEPLOYER_WHO). */
export function hookBaseEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('DEPLOYER_')));
}

export function localHooks(opts: { cwd: string; env: NodeJS.ProcessEnv }): HookRunner {
  const base = hookBaseEnv(opts.env);
  return {
    async run(run): Promise<HookResult> {
      // Loaded here, not at start-up: most runs have no hooks (src/adapters/lazy.ts says why it matters).
      const { execa } = await import('execa');
      const sub = execa(run.argv[0]!, run.argv.slice(1), {
        cwd: opts.cwd,
        env: { ...base, ...run.env },
        extendEnv: false,
        stdin: 'ignore',
        buffer: false,
        reject: false,
        detached: true,
      });
      let timedOut = false;
      let sent: string | undefined;
      const killGroup = (sig: NodeJS.Signals) => {
        sent ??= sig;
        try {
          if (sub.pid !== undefined) process.kill(-sub.pid, sig);
        } catch {
          // already gone
        }
      };
      let hard: NodeJS.Timeout | undefined;
      const stop = () => {
        killGroup('SIGTERM');
        hard ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, run.timeoutMs);
      const onAbort = () => stop();
      run.signal.addEventListener('abort', onAbort, { once: true });
      const lines = [sub.stdout, sub.stderr].map((s) => new Promise<void>((resolve) => {
        if (!s) return resolve();
        const rl = createInterface({ input: s, crlfDelay: Infinity });
        rl.on('line', (l) => run.onLine(l));
        rl.on('close', () => resolve());
      }));
      try {
        const [r] = await Promise.all([sub, ...lines]);
        if (r.code === 'ENOENT' || r.code === 'EACCES') return { ok: false, timedOut: false, startError: `${r.code}: ${run.argv[0]}` };
        if (sent) return { ok: false, timedOut, signal: r.signal ?? sent };
        return { ok: r.exitCode === 0, timedOut: false, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}) };
      } finally {
        clearTimeout(timer);
        clearTimeout(hard);
        run.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
