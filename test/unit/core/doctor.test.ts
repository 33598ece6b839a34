import { describe, expect, it } from 'vitest';
import { atLeast, checkNode, doctorExitCode, fail, hasLuaModule, nginxProblem, ok, skip } from '../../../src/core/doctor/checks.js';
import { renderDoctor } from '../../../src/core/doctor/render.js';

describe('doctor checks (pure)', () => {
  it.each([
    ['20.19.0', '20.19.0', true],
    ['20.20.2', '20.19.0', true],
    ['v22.1.0', '20.19.0', true],
    ['20.18.9', '20.19.0', false],
    ['18.20.0', '20.19.0', false],
  ])('%s at least %s: %s', (v, min, want) => {
    expect(atLeast(v, min)).toBe(want);
  });

  it('an old Node fails with the fix', () => {
    expect(checkNode('18.20.0')).toMatchObject({ id: 'node', status: 'fail', fix: expect.stringContaining('20.19.0') });
    expect(checkNode('20.20.2').status).toBe('ok');
  });

  it('finds the Lua module compiled in or enabled as a Debian module', () => {
    expect(hasLuaModule('configure arguments: --add-dynamic-module=/build/lua-nginx-module', null)).toBe(true);
    expect(hasLuaModule('nginx version: nginx/1.22.1', ['10-mod-http-ndk.conf', '50-mod-http-lua.conf'])).toBe(true);
    expect(hasLuaModule('nginx version: nginx/1.22.1', ['50-mod-http-geoip.conf'])).toBe(false);
    expect(hasLuaModule('', null)).toBe(false);
  });

  it("takes nginx's own complaint from `nginx -t` output", () => {
    const out = 'nginx: [emerg] "worker_processes" directive invalid value in command line\nnginx: configuration file /x/nginx.conf test failed';
    expect(nginxProblem(out)).toBe('[emerg] "worker_processes" directive invalid value in command line');
    expect(nginxProblem('')).toBe('no output');
  });

  it('exit 1 only when a check failed', () => {
    expect(doctorExitCode([ok('a', 'A', 'x'), skip('b', 'B', 'y')])).toBe(0);
    expect(doctorExitCode([ok('a', 'A', 'x'), fail('b', 'B', 'y')])).toBe(1);
  });

  it('renders one line per check, the fix on the same line, and a count', () => {
    const text = renderDoctor('(deployer.yaml)', [
      ok('node', 'Node.js', '20.20.2'),
      fail('engine', 'Docker engine', 'cannot reach the Docker engine', 'start dockerd'),
      skip('swarm', 'Docker swarm', 'the engine is unreachable'),
    ]);
    expect(text.split('\n')).toEqual([
      'deployer doctor  (deployer.yaml)',
      '  ✓ Node.js        20.20.2',
      '  ✗ Docker engine  cannot reach the Docker engine — fix: start dockerd',
      '  - Docker swarm   skipped: the engine is unreachable',
      '3 checks: 1 passed, 1 failed, 1 skipped.',
    ]);
  });
});
