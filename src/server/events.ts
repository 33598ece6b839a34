import { appendFile, mkdir, stat, open } from 'node:fs/promises';
import { dirname } from 'node:path';

// The events file (docs in README "Events"): one JSON object per line, appended, never rewritten, so
// a log shipper (Fluentd, Vector) can tail it and `deployer serve` can push live updates from it.
//   {"time":"<ISO 8601>","type":"deploy|switch|rollback|destroy|failure","app":"…","revision":"<sha>|null",
//    "previous":"<sha>|null","who":"…","message":"…"}   (message: failures only)

export interface DeployEvent {
  time: string;
  type: string;
  app: string;
  revision: string | null;
  previous: string | null;
  who: string;
  message?: string;
}

/** The commands whose applied plans are events (read-only commands are not). */
export const EVENT_COMMANDS = new Set(['deploy', 'switch', 'rollback', 'destroy']);

export async function appendEvent(file: string, event: DeployEvent): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // One write of one line: appends of less than PIPE_BUF from several processes do not interleave.
  await appendFile(file, `${JSON.stringify(event)}\n`);
}

/**
 * Calls `onLines` with each complete line appended to `file` after now; polls (fs.watch is not
 * reliable across editors and network file systems) and returns a stop function.
 */
export function tailEvents(file: string, onLine: (line: string) => void, intervalMs = 500): () => void {
  let offset: number | undefined;
  let partial = '';
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const size = await stat(file).then((s) => s.size, () => 0);
      if (offset === undefined || size < offset) {
        offset = size;
        return;
      }
      if (size === offset) return;
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        await fh.read(buf, 0, buf.length, offset);
        offset = size;
        const lines = (partial + buf.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) onLine(l);
      } finally {
        await fh.close();
      }
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick().catch(() => undefined), intervalMs);
  return () => clearInterval(timer);
}
