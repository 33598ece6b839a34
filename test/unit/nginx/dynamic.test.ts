import { describe, expect, it } from 'vitest';
import { controlSocketOf, dynamicBackendProblems, formatControlList, parseControlAnswer, renderDynamicUpstream } from '../../../src/core/nginx/dynamic.js';
import { backendNames, balancerPeers, parseGetent, resolutionLines, resolveArgv } from '../../../src/core/nginx/resolve.js';
import { parseUpstream } from '../../../src/core/nginx/upstream.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const backends = [{ host: '127.0.0.1', port: 8002 }, { host: '127.0.0.1', port: 8001 }];
const render = (revision = A, socket = '/var/lib/deployer/app/backend.sock') => renderDynamicUpstream({ name: 'backend', app: 'app', revision, backends, socket });

describe('the dynamic upstream file', () => {
  it('still reads as an upstream of its backends and revision (the Lua is skipped)', () => {
    expect(parseUpstream(render(), 'backend')).toEqual({ revision: A, backends: [{ host: '127.0.0.1', port: 8001 }, { host: '127.0.0.1', port: 8002 }] });
    expect(controlSocketOf(render())).toBe('/var/lib/deployer/app/backend.sock');
    expect(controlSocketOf('upstream backend { server 1.2.3.4:80; }\n')).toBeUndefined();
  });

  it('renders the same bytes for the same switch, and a new generation for another revision', () => {
    expect(render()).toBe(render());
    const gen = (t: string) => /local gen, text = "([0-9a-f]{16})"/.exec(t)![1];
    expect(gen(render(A))).not.toBe(gen(render(B)));
  });

  it('refuses a socket path that could inject nginx syntax or is too long for a unix socket', () => {
    expect(() => render(A, '/tmp/x; include /etc/passwd')).toThrow(/invalid control socket/);
    expect(() => render(A, `/${'x'.repeat(120)}`)).toThrow(/invalid control socket/);
  });

  it('round-trips the control list, and rejects answers of another shape', () => {
    const body = formatControlList([{ revision: A, weight: 100, backends }]);
    expect(body).toBe(`${A} 100 127.0.0.1:8001 127.0.0.1:8002\n`);
    const parsed = parseControlAnswer(`generation 0123456789abcdef dict\n${body}`);
    expect(parsed?.source).toBe('dict');
    expect(formatControlList(parsed!.lists)).toBe(body);
    expect(parseControlAnswer('<html>502</html>')).toBeUndefined();
    expect(parseControlAnswer(`generation 0123456789abcdef file\nnot-a-sha 100 1.2.3.4:80\n`)).toBeUndefined();
  });

  it('needs addresses: a host name must have resolved on the host', () => {
    const named = [{ host: 'agent-1.example', port: 80 }, { host: '::1', port: 80 }];
    expect(dynamicBackendProblems(named)).toEqual([
      'agent-1.example:80 is a host name that did not resolve to an address (not looked up); the balancer needs addresses',
    ]);
    expect(dynamicBackendProblems(named, { 'agent-1.example': { reason: 'no such name' } })).toEqual([
      'agent-1.example:80 is a host name that did not resolve to an address (no such name); the balancer needs addresses',
    ]);
    expect(dynamicBackendProblems(named, { 'agent-1.example': { addresses: ['10.0.0.1'] } })).toEqual([]);
    expect(() => renderDynamicUpstream({ name: 'backend', app: 'app', revision: A, backends: named, socket: '/s/b.sock' })).toThrow(/agent-1\.example:80 is a host name that did not resolve/);
  });
});

describe('host-name backends in the dynamic file', () => {
  const named = [{ host: 'agent-2.marathon.test', port: 31002 }, { host: 'agent-1.marathon.test', port: 31001 }, { host: '127.0.0.9', port: 8000 }];
  const resolved = { 'agent-1.marathon.test': { addresses: ['127.0.0.2'] }, 'agent-2.marathon.test': { addresses: ['127.0.0.3', '::1'] } };
  const text = renderDynamicUpstream({ name: 'backend', app: 'app', revision: A, backends: named, socket: '/s/b.sock', resolved });

  it('keeps the names in the server lines (nginx resolves them at reload) and reads back as the scheduler said', () => {
    expect(text.match(/^ {4}server .*$/gm)).toEqual(['    server 127.0.0.9:8000;', '    server agent-1.marathon.test:31001;', '    server agent-2.marathon.test:31002;']);
    expect(parseUpstream(text, 'backend')).toEqual({ revision: A, backends: [named[2], named[1], named[0]] });
  });

  it('compiles the resolved addresses into the balancer list, one peer per address', () => {
    const list = `${A} 100 127.0.0.2:31001 127.0.0.3:31002 127.0.0.9:8000 [::1]:31002`;
    expect(text).toContain(`[[\n${list}\n]]`);
    expect(formatControlList([{ revision: A, weight: 100, backends: balancerPeers(named, resolved) }])).toBe(`${list}\n`);
    // What the endpoint answers with that list parses back to the same PUT body.
    expect(formatControlList(parseControlAnswer(`generation 0123456789abcdef dict\n${list}\n`)!.lists)).toBe(`${list}\n`);
  });

  it('another resolution is another file (and generation): a moved agent is never served from a stale list', () => {
    const moved = renderDynamicUpstream({ name: 'backend', app: 'app', revision: A, backends: named, socket: '/s/b.sock', resolved: { ...resolved, 'agent-1.marathon.test': { addresses: ['127.0.0.4'] } } });
    expect(moved).not.toBe(text);
    expect(moved).toContain('127.0.0.4:31001');
  });

  it('IP backends render exactly as without any resolution', () => {
    expect(renderDynamicUpstream({ name: 'backend', app: 'app', revision: A, backends, socket: '/s/b.sock', resolved: {} })).toBe(renderDynamicUpstream({ name: 'backend', app: 'app', revision: A, backends, socket: '/s/b.sock' }));
    expect(balancerPeers(backends)).toEqual(backends);
  });
});

describe('resolving backend names on a load balancer', () => {
  it('asks getent for names only, each once', () => {
    expect(backendNames([{ host: 'a.test', port: 1 }, { host: '10.0.0.1', port: 2 }, { host: 'a.test', port: 3 }, { host: 'fe80::1', port: 4 }])).toEqual(['a.test']);
  });

  it('passes a name only when it is a plain DNS name (no option, no shell syntax)', () => {
    expect(resolveArgv('agent-1.marathon.test')).toEqual(['getent', 'ahosts', '--', 'agent-1.marathon.test']);
    for (const bad of ['-s', '--service=x', 'a;b', 'a b', '$(id)', 'a.test\nb', '']) expect(() => resolveArgv(bad)).toThrow(/not a DNS name/);
  });

  it('reads the distinct plain addresses of getent ahosts output', () => {
    const out = '127.0.0.2       STREAM agent-1.marathon.test\n127.0.0.2       DGRAM  \n127.0.0.2       RAW    \n::1             STREAM \nfe80::1%eth0    STREAM \n';
    expect(parseGetent(out)).toEqual(['127.0.0.2', '::1']);
    expect(parseGetent('')).toEqual([]);
    expect(parseGetent('garbage; include /etc/passwd STREAM\n')).toEqual([]);
  });

  it('says per name what it resolved to, for the plan', () => {
    expect(resolutionLines({ 'a.test': { addresses: ['10.0.0.1', '10.0.0.2'] }, 'b.test': { reason: 'no such name' } })).toEqual(['a.test -> 10.0.0.1, 10.0.0.2', 'b.test -> (not resolved: no such name)']);
  });
});
