import type { Duplex, Readable } from 'node:stream';

// The Docker Engine API as deployer calls it: a method, a path, a query, a JSON or tar body. Every
// engine operation (engine.ts, commit, build, push, pull, export) is written once against this, and
// two transports carry it: plain HTTP on the engine's unix socket (engine-socket.ts: the default
// and by far the common case, without dockerode's start-up and memory, README "Performance"), and
// dockerode's modem for engines reached over TCP, TLS or SSH (engine-modem.ts).
// Paths are unversioned: the daemon's own API version (docs/traps.md §1).

export type QueryValue = string | number | boolean | undefined;

export interface EngineCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Without the query: `/containers/<id>/start`. */
  path: string;
  /** Objects go in already JSON-encoded (filters, labels, buildargs), as the API wants them. */
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  json?: unknown;
  /** A tar body, streamed (never buffered). */
  tar?: NodeJS.ReadableStream;
  /** X-Registry-Auth, X-Registry-Config. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface EngineApi {
  /** The answer's JSON; undefined for an empty answer (204, 304). Non-2xx rejects (EngineHttpError). */
  json<T>(call: EngineCall): Promise<T | undefined>;
  /** The answer's body as a stream, once the status is 2xx. */
  stream(call: EngineCall): Promise<Readable>;
  /** The connection itself after the engine upgrades it (exec's attached output). */
  hijack(call: EngineCall): Promise<Duplex>;
}

/** What both transports reject with on a non-2xx answer: engine-errors.ts reads it. */
export interface EngineHttpError extends Error {
  statusCode: number;
  json: { message?: string } | null;
}

export function httpError(status: number, text: string): EngineHttpError {
  let body: { message?: string } | null = null;
  try {
    body = text ? (JSON.parse(text) as { message?: string }) : null;
  } catch {
    // a proxy's HTML page: keep the status, the text becomes the message
  }
  const message = body?.message ?? (text.trim() || `HTTP ${status}`);
  return Object.assign(new Error(message), { statusCode: status, json: body });
}

export function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** An image reference in a path keeps its / : @ (as the docker CLI sends it). */
export const imagePath = (ref: string): string => encodeURI(ref);
export const idPath = (id: string): string => encodeURIComponent(id);

/** X-Registry-Auth / X-Registry-Config: URL-safe base64 JSON with its padding, as the docker CLI sends them. */
export function registryHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
