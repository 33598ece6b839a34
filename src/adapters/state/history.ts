import { StepFailedError } from '../../core/errors.js';
import type { HistoryEntry, HistoryPort } from '../../ports/history.js';
import type { LbHosts } from '../../ports/lb-hosts.js';

// The switch history: JSON lines beside the lock (`<stateDir>/<app>/history.jsonl` on the first
// switch host). Appends happen under the switch lock and rewrite the whole file atomically (temp +
// rename), so a reader never sees a torn line and a crash loses at most the entry being written.

export interface HistoryLocation {
  host: string;
  dir: string;
  history: string;
}

export function lbHistory(opts: { hosts: LbHosts; location: () => HistoryLocation }): HistoryPort {
  const where = () => {
    const loc = opts.location();
    return { loc, host: opts.hosts.get(loc.host) };
  };
  const readText = async (): Promise<string> => {
    const { host, loc } = where();
    return (await host.read(loc.history))?.content.toString('utf8') ?? '';
  };
  return {
    async read() {
      const { loc } = where();
      const text = await readText();
      const entries: HistoryEntry[] = [];
      text.split('\n').forEach((line, i) => {
        if (!line.trim()) return;
        try {
          entries.push(JSON.parse(line) as HistoryEntry);
        } catch (e) {
          throw new StepFailedError(`${loc.host}:${loc.history} line ${i + 1} is not valid JSON`, {
            cause: e,
            hint: 'the history is append-only JSON lines; fix or remove the damaged line by hand',
          });
        }
      });
      return entries;
    },
    async append(entry) {
      const { host, loc } = where();
      await host.mkdirp(loc.dir);
      const current = await readText();
      const sep = current === '' || current.endsWith('\n') ? '' : '\n';
      await host.writeAtomic(loc.history, Buffer.from(`${current}${sep}${JSON.stringify(entry)}\n`));
    },
  };
}
