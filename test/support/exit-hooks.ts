// Synchronous cleanup that runs when the test process exits normally or is stopped by SIGINT,
// SIGTERM or SIGHUP (Node runs no 'exit' listeners when a signal kills it). After the hooks, a
// signal keeps its default effect (the process dies of it) unless someone else also handles it.

const hooks: Array<{ hook: () => void; order: number }> = [];
let installed = false;

function runAll(): void {
  // Lower order first (processes are killed before their directories are removed). Hooks must be
  // idempotent: after a signal that someone else handles, the process may live on and exit later.
  for (const { hook } of [...hooks].sort((a, b) => a.order - b.order)) {
    try {
      hook();
    } catch {
      // best effort while exiting
    }
  }
}

export function onProcessExit(hook: () => void, order = 0): void {
  hooks.push({ hook, order });
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      runAll();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
