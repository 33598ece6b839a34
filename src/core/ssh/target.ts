import { UsageError } from '../errors.js';

// `user@host[:port]` as written in deployer.yaml (switch.hosts[].ssh), plus bracketed IPv6
// (`user@[::1]:2222`, `[::1]`). The user may be left out: the connection layer then uses the local
// user name, as ssh(1) does.

export interface SshTarget {
  user: string | undefined;
  host: string;
  port: number;
}

const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/;

function invalid(text: string, why: string): UsageError {
  return new UsageError(`invalid SSH target ${JSON.stringify(text)}: ${why}`, {
    hint: 'write user@host, user@host:port or user@[ipv6]:port',
  });
}

export function parseSshTarget(text: string, defaultPort = 22): SshTarget {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : undefined;
  const rest = at >= 0 ? text.slice(at + 1) : text;
  if (user !== undefined && !USER.test(user)) throw invalid(text, 'the user name should be letters, digits, ".", "_" or "-"');

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw invalid(text, 'missing "]" after the IPv6 address');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw invalid(text, 'expected ":port" after "]"');
    portText = after === '' ? undefined : after.slice(1);
    if (!IPV6.test(host)) throw invalid(text, 'only an IPv6 address may be written in brackets');
  } else {
    const colon = rest.indexOf(':');
    if (colon >= 0 && rest.indexOf(':', colon + 1) >= 0) throw invalid(text, 'write an IPv6 address in brackets: [::1]:22');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (!HOSTNAME.test(host)) throw invalid(text, 'the host should be a name or address (letters, digits, "." and "-")');
  }

  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) throw invalid(text, 'the port should be a number');
    port = Number(portText);
    if (port < 1 || port > 65535) throw invalid(text, 'the port should be between 1 and 65535');
  }
  return { user, host, port };
}

/** `user@host:port` (brackets around IPv6), the name used for a host in messages. */
export function formatSshTarget(t: SshTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user === undefined ? '' : `${t.user}@`}${host}:${t.port}`;
}
