import type Docker from 'dockerode';

// The engine reports build and push failures as {error, errorDetail} frames inside an HTTP 200
// stream, and followProgress also "finishes" on a truncated stream. So: check every frame, and let
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
  constructor(message: string, readonly code: number | undefined, readonly events: ProgressEvent[]) {
    super(message);
    this.name = 'DockerStreamError';
  }
}

export function followStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent?: (e: ProgressEvent) => void,
): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: ProgressEvent[]) => {
        if (err) return reject(err);
        const bad = events.find((e) => e.error || e.errorDetail);
        if (bad) return reject(new DockerStreamError(bad.errorDetail?.message ?? bad.error ?? 'unknown error', bad.errorDetail?.code, events));
        resolve(events);
      },
      onEvent,
    );
  });
}
