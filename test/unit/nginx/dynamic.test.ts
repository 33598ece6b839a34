import { describe, expect, it } from 'vitest';
import { controlSocketOf, dynamicBackendProblems, formatControlList, parseControlAnswer, renderDynamicUpstream } from '../../../src/core/nginx/dynamic.js';
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

  it('needs addresses: the balancer does not resolve host names', () => {
    expect(dynamicBackendProblems([{ host: 'agent-1.example', port: 80 }, { host: '::1', port: 80 }])).toEqual([
      'agent-1.example:80 is a host name; switch.method dynamic needs IP addresses (the balancer does not resolve names)',
    ]);
  });
});
