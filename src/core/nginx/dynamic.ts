import { createHash } from 'node:crypto';
import type { Backend } from '../../ports/scheduler.js';
import { isFullSha } from '../image-ref.js';
import { balancerPeers, type Resolution } from './resolve.js';
import { sortBackends, UPSTREAM_NAME } from './upstream.js';
import { assertSafeBackends, isIPv4, isIPv6 } from './validate.js';

// `switch.method: dynamic` — switching without a reload (README "Switching without a reload").
// The managed upstream file carries everything the mode needs, so the user's nginx config stays as
// it is: a shared dict, an upstream whose peer is picked by `balancer_by_lua_block`, and a control
// server on a unix socket under the state dir. A switch PUTs the new backend list to the control
// socket (workers untouched, keep-alive connections kept) and rewrites the file with the same list.
//
// Which list a worker uses: the file's own (compiled into the balancer) unless the dict holds a
// list PUT while *this* file was the running configuration. Each file carries a generation (a hash
// of what it says); the control endpoint stores its own generation beside the list, and the
// balancer uses the dict only when that generation is its own. So after any reload or restart that
// loads a rewritten file, the file wins: a reload never brings back an older revision.
//
// The list is shaped for weights per environment (a canary share later) without changing the
// mechanism: one line per environment, `<revision> <weight> <host:port> ...`; today one line, 100.

export interface ControlList {
  revision: string;
  weight: number;
  backends: Backend[];
}

export interface DynamicUpstream {
  name: string;
  app: string;
  revision: string;
  backends: Backend[];
  /** Absolute path of the control socket (a directory only root can enter). */
  socket: string;
  /** What this host resolved the backends' host names to (the `server` lines keep the names). */
  resolved?: Resolution;
}

/** Linux's sun_path is 108 bytes with the terminating NUL. */
export const MAX_SOCKET_PATH = 107;

export const DYNAMIC_MARKER = '# method dynamic';

function peer(b: Backend): string {
  return isIPv6(b.host) ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}

/** The body of a PUT, and what the file compiles in: one line per environment. */
export function formatControlList(lists: readonly ControlList[]): string {
  return lists.map((l) => `${l.revision} ${l.weight} ${sortBackends(l.backends).map(peer).join(' ')}\n`).join('');
}

/** Parses what the control endpoint answers (`generation <g>` then the list); undefined if it is not that. */
export function parseControlAnswer(text: string): { generation: string; source: 'dict' | 'file'; lists: ControlList[] } | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = /^generation ([0-9a-f]{16}) (dict|file)$/.exec(lines[0] ?? '');
  if (!head) return undefined;
  const lists: ControlList[] = [];
  for (const l of lines.slice(1)) {
    const [revision, weight, ...peers] = l.trim().split(/\s+/);
    if (!revision || !isFullSha(revision) || !/^\d+$/.test(weight ?? '')) return undefined;
    const backends: Backend[] = [];
    for (const p of peers) {
      const m = /^\[([^\]]+)\]:(\d+)$/.exec(p) ?? /^([^:]+):(\d+)$/.exec(p);
      if (!m) return undefined;
      backends.push({ host: m[1]!, port: Number(m[2]) });
    }
    lists.push({ revision, weight: Number(weight), backends });
  }
  return { generation: head[1]!, source: head[2] as 'dict' | 'file', lists };
}

/**
 * The Lua balancer takes addresses only: it does not resolve names at request time, so every host
 * name must have been resolved on the host (src/core/nginx/resolve.ts).
 */
export function dynamicBackendProblems(backends: readonly Backend[], resolved: Resolution = {}): string[] {
  return backends.filter((b) => !isIPv4(b.host) && !isIPv6(b.host)).flatMap((b) => {
    const r = resolved[b.host];
    if (r && 'addresses' in r && r.addresses.length > 0) return [];
    return [`${b.host}:${b.port} is a host name that did not resolve to an address (${r && 'reason' in r ? r.reason : 'not looked up'}); the balancer needs addresses`];
  });
}

export function generationOf(list: string): string {
  return createHash('sha256').update(list).digest('hex').slice(0, 16);
}

export function dictName(upstream: string): string {
  return `deployer_${upstream.replace(/-/g, '_')}`;
}

/** Renders the dynamic file; throws (exit 4) before producing text from an unsafe backend. */
export function renderDynamicUpstream(c: DynamicUpstream): string {
  if (!UPSTREAM_NAME.test(c.name)) throw new Error(`invalid upstream name ${JSON.stringify(c.name)}`);
  if (!isFullSha(c.revision)) throw new Error(`invalid revision ${JSON.stringify(c.revision)}`);
  if (!/^\/[A-Za-z0-9._/-]+$/.test(c.socket) || c.socket.length > MAX_SOCKET_PATH) throw new Error(`invalid control socket path ${JSON.stringify(c.socket)}`);
  assertSafeBackends(c.backends, `environment ${c.revision.slice(0, 12)}`);
  const unresolved = dynamicBackendProblems(c.backends, c.resolved);
  if (unresolved.length) throw new Error(unresolved.join('; '));
  const list = formatControlList([{ revision: c.revision, weight: 100, backends: balancerPeers(c.backends, c.resolved) }]);
  const gen = generationOf(list);
  const dict = dictName(c.name);
  // Lua below avoids '#' and keeps its braces balanced, so parseUpstream can skip it. The list sits
  // in long strings unindented: indentation would be part of the text.
  const fileList = list.trimEnd().split('\n');
  const lines = [
    `# Managed by deployer (app ${c.app}): \`deployer switch\` rewrites this file. Do not edit.`,
    `# revision ${c.revision}`,
    DYNAMIC_MARKER,
    `# control ${c.socket}`,
    `lua_shared_dict ${dict} 1m;`,
    `upstream ${c.name} {`,
    ...sortBackends(c.backends).map((b) => `    server ${peer(b)};`),
    '    balancer_by_lua_block {',
    `        local gen, text = "${gen}", [[`,
    ...fileList,
    ']]',
    `        local held = ngx.shared.${dict}:get("list")`,
    '        if held and held:sub(1, 16) == gen then text = held:sub(18) end',
    '        local peers, n = {}, 0',
    '        for line in text:gmatch("[^\\n]+") do',
    '            if (tonumber(line:match("^%S+ (%d+)")) or 0) > 0 then',
    '                for hp in line:gmatch(" (%S+:%d+)") do n = n + 1; peers[n] = hp end',
    '            end',
    '        end',
    '        local balancer, ctx = require("ngx.balancer"), ngx.ctx',
    '        if not ctx.deployer_next then',
    '            ctx.deployer_next = math.random(n)',
    '            if n > 1 then balancer.set_more_tries(n - 1) end',
    '        end',
    '        local i = ctx.deployer_next',
    '        ctx.deployer_next = i + 1',
    '        local host, port = peers[(i - 1) % n + 1]:match("^%[?(.-)%]?:(%d+)$")',
    '        local ok, err = balancer.set_current_peer(host, tonumber(port))',
    '        if not ok then ngx.log(ngx.ERR, "deployer balancer: ", err) end',
    '    }',
    '    keepalive 32;',
    '}',
    'server {',
    `    listen unix:${c.socket};`,
    '    access_log off;',
    '    location = /backends {',
    '        content_by_lua_block {',
    `            local gen, dict = "${gen}", ngx.shared.${dict}`,
    '            local method = ngx.req.get_method()',
    '            if method == "PUT" then',
    '                ngx.req.read_body()',
    '                local body = ngx.req.get_body_data() or ""',
    '                if not body:match("^%x+ %d+ [%w%.:%[%] ]+\\n") then',
    '                    ngx.status = 400',
    '                    ngx.say("a backend list is lines of <revision> <weight> <host:port>...")',
    '                    return',
    '                end',
    '                local ok, err = dict:set("list", gen .. "\\n" .. body)',
    '                if not ok then ngx.status = 500; ngx.say("shared dict: ", err); return end',
    '            elseif method ~= "GET" then',
    '                ngx.status = 405',
    '                return',
    '            end',
    '            local held = dict:get("list")',
    '            if held and held:sub(1, 16) == gen then',
    '                ngx.print("generation ", gen, " dict\\n", held:sub(18))',
    '            else',
    '                ngx.print("generation ", gen, " file\\n", [[',
    ...fileList,
    ']])',
    '            end',
    '        }',
    '    }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** The control socket a dynamic file names, if it is one. */
export function controlSocketOf(text: string | undefined): string | undefined {
  if (!text || !text.includes(`\n${DYNAMIC_MARKER}\n`)) return undefined;
  return /^# control (\/\S+)$/m.exec(text)?.[1];
}
