import type { Backend } from '../../ports/scheduler.js';
import { isFullSha } from '../image-ref.js';
import { assertSafeBackends, backendAddress, isIPv6 } from './validate.js';

// The production upstream file: one `upstream <name> { server host:port; ... }` block, which the
// nginx config includes (the old scripts' backend.conf, docs/traps.md §6). The revision is written as a comment so every
// host can say what it serves without asking the scheduler; the backends are what nginx uses.

export const UPSTREAM_NAME = /^[A-Za-z0-9_-]+$/;

export interface UpstreamContent {
  name: string;
  /** Full sha the backends belong to. */
  revision: string;
  backends: Backend[];
  app: string;
}

/** Stable order, so the same environment always renders the same bytes (no spurious diffs). */
export function sortBackends(backends: readonly Backend[]): Backend[] {
  return [...backends].sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
}

/** Renders the file; throws (exit 4) before producing any text from an unsafe backend. */
export function renderUpstream(c: UpstreamContent): string {
  if (!UPSTREAM_NAME.test(c.name)) throw new Error(`invalid upstream name ${JSON.stringify(c.name)}`);
  if (!isFullSha(c.revision)) throw new Error(`invalid revision ${JSON.stringify(c.revision)}`);
  assertSafeBackends(c.backends, `environment ${c.revision.slice(0, 12)}`);
  const lines = [
    `# Managed by deployer (app ${c.app}): \`deployer switch\` rewrites this file. Do not edit.`,
    `# revision ${c.revision}`,
    `upstream ${c.name} {`,
    ...sortBackends(c.backends).map((b) => `    server ${backendAddress(b)};`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

export interface ParsedUpstream {
  /** The revision comment, when the file was written by deployer. */
  revision?: string;
  /** Undefined when the file has no `upstream <name>` block. */
  backends?: Backend[];
}

/**
 * Removes `*_by_lua_block { ... }` bodies (the dynamic mode's balancer, src/core/nginx/dynamic.ts):
 * Lua is not nginx syntax, and its braces would end the upstream block early.
 */
function stripLuaBlocks(text: string): string {
  let out = '';
  let i = 0;
  const open = /\b\w+_by_lua_block\s*\{/g;
  for (let m = open.exec(text); m; m = open.exec(text)) {
    out += text.slice(i, m.index);
    let depth = 1;
    let j = m.index + m[0].length;
    for (; j < text.length && depth > 0; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}') depth--;
    }
    i = j;
    open.lastIndex = j;
  }
  return out + text.slice(i);
}

function stripComments(text: string): string {
  return text.split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');
}

function parseAddress(addr: string): Backend | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  if (!addr.includes(':') || isIPv6(addr)) return { host: addr, port: 80 };
  return undefined;
}

/**
 * Reads an upstream file, deployer's or a hand-written one like the old scripts'. Tolerant on purpose:
 * the result is only compared with environments (what is live, drift), never written back.
 */
export function parseUpstream(text: string, name: string): ParsedUpstream {
  const rev = /^#\s*revision\s+([0-9a-f]{40})\s*$/m.exec(text)?.[1];
  const body = stripComments(stripLuaBlocks(text));
  const escaped = name.replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`);
  const block = new RegExp(`(?:^|[\\s;}])upstream\\s+${escaped}\\s*\\{([^}]*)\\}`).exec(body);
  const out: ParsedUpstream = {};
  if (rev) out.revision = rev;
  if (!block) return out;
  const backends: Backend[] = [];
  for (const stmt of block[1]!.split(';')) {
    const m = /^\s*server\s+(\S+)/.exec(stmt);
    if (!m) continue;
    const b = parseAddress(m[1]!);
    if (b) backends.push(b);
  }
  out.backends = backends;
  return out;
}

export function sameBackends(a: readonly Backend[], b: readonly Backend[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: Backend) => `${x.host.toLowerCase()}:${x.port}`;
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.every((k, i) => k === sb[i]);
}
