import { describe, expect, it } from 'vitest';
import { assertSafeBackends, backendProblems, hostProblem, isDnsName, isIPv6, portProblem } from '../../../src/core/nginx/validate.js';

describe('backend validation', () => {
  it.each([
    ['127.0.0.1'], ['10.0.12.255'], ['dockerhost01'], ['lb-01.example.com'], ['::1'], ['fe80::1'], ['2001:db8::8a2e:370:7334'], ['::ffff:10.0.0.1'],
  ])('accepts %s', (host) => {
    expect(hostProblem(host)).toBeUndefined();
  });

  it.each([
    ['127.0.0.1;', ';'],
    ['a;include /etc/passwd', ';'],
    ['evil}', '}'],
    ['x{', '{'],
    ['host#comment', '#'],
    ['two words', ' '],
    ['line\nbreak', '\n'],
    ['tab\there', '\t'],
    ['"quoted"', '"'],
    ["'single'", "'"],
    ['back\\slash', '\\'],
    ['$var', '$'],
  ])('refuses %j because of %j', (host, ch) => {
    expect(hostProblem(host)).toContain(JSON.stringify(ch));
  });

  it.each([
    [''], ['-lead.example.com'], ['trail-.example.com'], ['a..b'], ['256.1.1.1'], ['1.2.3'], ['under_score'], ['x'.repeat(64)], ['a:b'], ['1:2:3:4:5:6:7:8:9'], ['::1::2'], ['host/path'], ['ünï'],
  ])('refuses the non-host %j', (host) => {
    expect(hostProblem(host)).toBeDefined();
  });

  it('refuses non-strings', () => {
    expect(hostProblem(42)).toMatch(/should be a string/);
    expect(hostProblem(undefined)).toMatch(/should be a string/);
  });

  it.each([[0], [65536], [-1], [80.5], [Number.NaN], ['80'], [undefined]])('refuses port %j', (port) => {
    expect(portProblem(port)).toBeDefined();
  });

  it.each([[1], [80], [65535]])('accepts port %j', (port) => {
    expect(portProblem(port)).toBeUndefined();
  });

  it('lists every problem with its backend number', () => {
    expect(backendProblems([{ host: 'ok', port: 80 }, { host: 'x;', port: 70000 }])).toEqual([
      'backend 2: host "x;" contains ";", which must never reach an nginx file',
      'backend 2: port 70000 is out of range 1-65535',
    ]);
  });

  it('refuses with exit 4, naming the source, and refuses an empty list', () => {
    expect(() => assertSafeBackends([{ host: '1.2.3.4}', port: 1 }], 'environment abc')).toThrow(
      expect.objectContaining({ exitCode: 4, code: 'backend.invalid', message: expect.stringContaining('environment abc') }),
    );
    expect(() => assertSafeBackends([], 'environment abc')).toThrow(/no backends/);
    expect(() => assertSafeBackends([{ host: 'a', port: 1 }], 'x')).not.toThrow();
  });

  it('knows DNS names and IPv6 apart', () => {
    expect(isDnsName('123')).toBe(false);
    expect(isDnsName('a.123')).toBe(false);
    expect(isDnsName('host1.example')).toBe(true);
    expect(isIPv6('::')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6:7:8')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6:7')).toBe(false);
  });
});
