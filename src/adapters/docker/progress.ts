import { LineSplitter } from './lines.js';

// The engine reports build and push failures as {error, errorDetail} frames inside an HTTP 200
// stream, and a stream cut short just ends like a whole one. So: check every frame, and let
// the caller demand the frame that proves success (aux.ID for a build, aux.Digest for a push).

export interface ProgressEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

export class DockerStreamError extends Error {
  constructor(message: string, readonly code: number | undefined, readonly events: readonly ProgressEvent[]) {
    super(message);
    this.name = 'DockerStreamError';
  }
}

/**
 * Follows a progress stream (newline-delimited JSON) to its end. Every frame goes to onEvent; only
 * the frames that prove or disprove success (aux, error) are kept and returned: a push of a large
 * layer sends thousands of progress frames, and keeping them all grew the heap with the image.
 */
export function followStream(stream: NodeJS.ReadableStream, onEvent?: (e: ProgressEvent) => void): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    const events: ProgressEvent[] = [];
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (err) return reject(err);
      const bad = events.find((e) => e.error || e.errorDetail);
      if (bad) return reject(new DockerStreamError(bad.errorDetail?.message ?? bad.error ?? 'unknown error', bad.errorDetail?.code, events));
      resolve(events);
    };
    const lines = new LineSplitter((line) => {
      if (settled || !line.trim()) return;
      let e: ProgressEvent;
      try {
        e = JSON.parse(line) as ProgressEvent;
      } catch {
        return settle(new Error(`the engine sent a progress line that is not JSON: ${JSON.stringify(line.slice(0, 120))}`));
      }
      if (e.aux || e.error || e.errorDetail) events.push(e);
      onEvent?.(e);
    });
    stream.on('data', (b: Buffer) => lines.push(b));
    stream.on('error', settle);
    const end = () => {
      lines.flush();
      settle();
    };
    stream.on('end', end);
    stream.on('close', end);
  });
}
