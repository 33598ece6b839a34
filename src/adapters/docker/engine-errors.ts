import { PreconditionError, StepFailedError } from '../../core/errors.js';

// The engine's failures in users' words, from either transport (engine-api.ts): the socket's
// errors are built in the modem's shape (statusCode, json). Kept apart from client.ts so reading
// them never loads dockerode.

interface HttpishError {
  statusCode?: number;
  reason?: string;
  json?: { message?: string } | null;
  code?: string;
  /** Node's socket errors: the unix socket path, or the TCP address and port (from DOCKER_HOST). */
  address?: string;
  port?: number;
  message: string;
}

export function statusOf(e: unknown): number | undefined {
  return (e as HttpishError | undefined)?.statusCode;
}

/** The daemon's own words, without dockerode's "(HTTP code N) reason -" prefix. */
export function daemonMessage(e: unknown): string {
  const err = e as HttpishError;
  const fromJson = err?.json?.message;
  if (fromJson) return fromJson.trim();
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(err?.message ?? '');
  return (m?.[1] ?? err?.message ?? String(e)).trim();
}

/** Turns transport failures into one clear error; leaves HTTP errors to the caller's context. */
export function engineError(action: string, e: unknown): Error {
  const err = e as HttpishError;
  if (err?.code === 'ENOENT' || err?.code === 'ECONNREFUSED' || err?.code === 'EACCES') {
    // Name where it was looked for: a DOCKER_HOST left over from another shell is the usual cause.
    const where = err.address ? ` at ${err.port ? `${err.address}:${err.port}` : err.address}` : '';
    return new PreconditionError(`cannot reach the Docker engine${where} (${err.code}) while trying to ${action}`, {
      hint: 'start dockerd (scripts/services.sh does), or point DOCKER_HOST at it',
      cause: e,
      code: 'docker.unreachable',
    });
  }
  return new StepFailedError(`docker: ${action} failed: ${daemonMessage(e)}`, { cause: e, code: 'docker.failed' });
}
