import { describe, expect, it } from 'vitest';
import { parseUpstream, renderUpstream, sameBackends } from '../../../src/core/nginx/upstream.js';

const REV = '3f2a9c1e0b7d'.padEnd(40, 'a');

describe('renderUpstream', () => {
  it('renders one upstream block, sorted, with the revision as a comment', () => {
    const text = renderUpstream({ name: 'backend', app: 'web-app', revision: REV, backends: [{ host: 'dockerhost02', port: 31999 }, { host: 'dockerhost01', port: 31625 }, { host: '::1', port: 8080 }] });
    expect(text).toBe([
      '# Managed by deployer (app web-app): `deployer switch` rewrites this file. Do not edit.',
      `# revision ${REV}`,
      'upstream backend {',
      '    server ::1:8080;'.replace('::1:8080', '[::1]:8080'),
      '    server dockerhost01:31625;',
      '    server dockerhost02:31999;',
      '}',
      '',
    ].join('\n'));
  });

  it.each([
    [{ host: '127.0.0.1;', port: 80 }],
    [{ host: '127.0.0.1\n}', port: 80 }],
    [{ host: 'x}', port: 80 }],
    [{ host: 'x', port: 0 }],
    [{ host: 'x', port: 65536 }],
  ])('never renders a bad backend %j', (bad) => {
    expect(() => renderUpstream({ name: 'backend', app: 'a', revision: REV, backends: [{ host: 'ok', port: 1 }, bad] })).toThrow(/cannot go into an nginx file/);
  });

  it('refuses a bad upstream name or revision', () => {
    expect(() => renderUpstream({ name: 'a b', app: 'a', revision: REV, backends: [{ host: 'x', port: 1 }] })).toThrow(/upstream name/);
    expect(() => renderUpstream({ name: 'b', app: 'a', revision: 'abc', backends: [{ host: 'x', port: 1 }] })).toThrow(/revision/);
  });
});

describe('parseUpstream', () => {
  it('reads back what it rendered', () => {
    const backends = [{ host: '127.0.0.1', port: 32768 }, { host: 'fe80::1', port: 9 }];
    const parsed = parseUpstream(renderUpstream({ name: 'backend', app: 'a', revision: REV, backends }), 'backend');
    expect(parsed.revision).toBe(REV);
    expect(sameBackends(parsed.backends!, backends)).toBe(true);
  });

  it("reads the seed's hand-written file (no revision comment, parameters, comments)", () => {
    const text = `# old\nupstream other { server nope:1; }\nupstream backend {\n      server dockerhost02:31999 weight=2;\n      # server commented:1;\n      server dockerhost03:31000;\n      server dockerhost01;\n}\n`;
    expect(parseUpstream(text, 'backend')).toEqual({
      backends: [{ host: 'dockerhost02', port: 31999 }, { host: 'dockerhost03', port: 31000 }, { host: 'dockerhost01', port: 80 }],
    });
  });

  it('says when there is no such upstream', () => {
    expect(parseUpstream('upstream backend2 { server a:1; }', 'backend')).toEqual({});
  });
});
