import type Modem from 'docker-modem';
import type { Duplex, Readable } from 'node:stream';
import type { EngineApi, EngineCall } from './engine-api.js';

// The Engine API through dockerode's modem: the transport for engines reached over TCP, TLS or SSH
// (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), which the modem already speaks. Its errors
// carry statusCode and json, as the socket transport's do.

/** Every 2xx is an answer; anything else becomes the modem's error with the engine's message. */
const OK: Record<number, boolean> = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [200 + i, true]));

export function modemApi(modem: Modem): EngineApi {
  function dial(call: EngineCall, mode: { isStream?: boolean; hijack?: boolean }): Promise<unknown> {
    const query = Object.fromEntries(Object.entries(call.query ?? {}).filter(([, v]) => v !== undefined));
    const hasQuery = Object.keys(query).length > 0;
    return new Promise((resolve, reject) => {
      modem.dial({
        // The modem appends options._query to a path that ends in '?'.
        path: hasQuery ? `${call.path}?` : call.path,
        method: call.method,
        // An empty _body sends no body; without it the modem would send the options themselves.
        options: { _query: query, _body: call.json ?? {} },
        ...(call.tar ? { file: call.tar, headers: { 'Content-Type': 'application/x-tar', ...call.headers } } : { headers: { ...call.headers } }),
        ...(call.signal ? { abortSignal: call.signal } : {}),
        statusCodes: OK,
        ...mode,
      }, (err, result) => (err ? reject(err) : resolve(result)));
    });
  }

  return {
    async json<T>(call: EngineCall) {
      const r = await dial(call, {});
      // An empty or non-JSON answer comes back as a Buffer.
      return Buffer.isBuffer(r) || r === null || r === '' ? undefined : (r as T);
    },
    async stream(call) {
      return (await dial(call, { isStream: true })) as Readable;
    },
    async hijack(call) {
      return (await dial(call, { isStream: true, hijack: true })) as Duplex;
    },
  };
}
