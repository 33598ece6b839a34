// Authentication as Marathon does it, in two places:
// - `--http_credentials user:password` is Jetty's ConstraintSecurityHandler over "/*" in front of everything
//   (before the leader proxy filter, /ping and /v2/events included): BasicAuthenticator, realm from
//   `--http_realm` (default "Mesosphere"), 401 with Jetty's HTML error page — follows
//   src/main/scala/mesosphere/marathon/api/HttpModule.scala (createSecurityHandler).
// - DC/OS token auth (`Authorization: token=<jwt>`) is an auth plugin asked by each resource
//   (src/main/scala/mesosphere/marathon/api/AuthResource.scala `authenticated`): 401 JSON
//   {"message":"Invalid username or password."} with the plugin's challenge `WWW-Authenticate: acsjwt`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { JETTY_HTML, jettyError } from './jetty.js';
import { requestUrl } from './util.js';

export interface BasicCredentials {
  username: string;
  password: string;
  /** --http_realm; default "Mesosphere". */
  realm?: string;
}

/** True when the request may pass; otherwise the 401 has been sent. */
export function basicAuth(creds: BasicCredentials | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (!creds) return true;
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const given = m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : undefined;
  if (given === `${creds.username}:${creds.password}`) return true;
  const path = requestUrl(req.url).pathname;
  res.writeHead(401, {
    'WWW-Authenticate': `basic realm="${creds.realm ?? 'Mesosphere'}"`,
    'Content-Type': JETTY_HTML,
    'Cache-Control': 'must-revalidate,no-cache,no-store',
  });
  res.end(jettyError(401, 'Unauthorized', path));
  return false;
}

/** DC/OS token check of the auth plugin: undefined when authenticated, else the 401 to answer. */
export function tokenAuth(token: string | undefined, req: IncomingMessage): { status: number; body: unknown; headers: Record<string, string> } | undefined {
  if (token === undefined) return undefined;
  const m = /^token=(\S+)$/.exec(req.headers.authorization ?? '');
  if (m?.[1] === token) return undefined;
  return { status: 401, body: { message: 'Invalid username or password.' }, headers: { 'WWW-Authenticate': 'acsjwt' } };
}
