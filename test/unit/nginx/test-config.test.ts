import { describe, expect, it } from 'vitest';
import { globIncludes, planTest, shadowConfig, shadowPath, stagedPath } from '../../../src/core/nginx/test-config.js';

describe('staged and shadow names', () => {
  it('stays beside the original, hidden from include globs', () => {
    expect(stagedPath('/etc/nginx/conf.d/backend.conf')).toBe('/etc/nginx/conf.d/.backend.conf.deployer-staged');
    expect(shadowPath('/etc/nginx/nginx.conf')).toBe('/etc/nginx/.nginx.conf.deployer-test');
    expect(globIncludes('include conf.d/*.conf;', '/etc/nginx/nginx.conf', stagedPath('/etc/nginx/conf.d/backend.conf'))).toBe(false);
    expect(globIncludes('include conf.d/*;', '/etc/nginx/nginx.conf', stagedPath('/etc/nginx/conf.d/backend.conf'))).toBe(false);
  });
});

describe('planTest', () => {
  const live = '/etc/nginx/conf.d/backend.conf';
  const staged = stagedPath(live);
  it('adds -c <shadow of the default main config> to a bare nginx -t', () => {
    expect(planTest(['nginx', '-t'], live, staged)).toEqual({
      mode: 'shadow', main: '/etc/nginx/nginx.conf', shadow: '/etc/nginx/.nginx.conf.deployer-test', argv: ['nginx', '-c', '/etc/nginx/.nginx.conf.deployer-test', '-t'],
    });
  });
  it('replaces an explicit -c (keeping -p and -e)', () => {
    expect(planTest(['nginx', '-p', '/srv/lb/', '-c', '/srv/lb/nginx.conf', '-e', '/srv/lb/e.log', '-t'], live, staged).argv)
      .toEqual(['nginx', '-p', '/srv/lb/', '-c', '/srv/lb/.nginx.conf.deployer-test', '-e', '/srv/lb/e.log', '-t']);
    expect(planTest(['nginx', '-c/srv/n.conf', '-t'], live, staged)).toMatchObject({ main: '/srv/n.conf', argv: ['nginx', '-c/srv/.n.conf.deployer-test', '-t'] });
  });
  it('substitutes {staged} and {file} and uses no shadow', () => {
    expect(planTest(['/usr/local/bin/check', '{staged}', '--live={file}'], live, staged)).toEqual({
      mode: 'command', argv: ['/usr/local/bin/check', staged, `--live=${live}`],
    });
  });
});

describe('shadowConfig', () => {
  const main = '/srv/lb/nginx.conf';
  const live = '/srv/lb/conf.d/backend.conf';
  const staged = stagedPath(live);
  it('rewrites absolute, relative and quoted includes of the live file, not comments or others', () => {
    const text = [
      'http {',
      `  include ${live};`,
      '  include conf.d/backend.conf;',
      '  include "conf.d/backend.conf" ;',
      '  # include conf.d/backend.conf;',
      '  include mime.types;',
      '  server { listen 80; location / { proxy_pass http://backend; } }',
      '}',
    ].join('\n');
    const r = shadowConfig(text, main, live, staged);
    expect(r).toEqual({
      ok: true,
      text: [
        'http {',
        `  include ${staged};`,
        `  include ${staged};`,
        `  include "${staged}" ;`,
        '  # include conf.d/backend.conf;',
        '  include mime.types;',
        '  server { listen 80; location / { proxy_pass http://backend; } }',
        '}',
      ].join('\n'),
    });
  });
  it('refuses when the file is only reached through a glob', () => {
    const r = shadowConfig('http { include conf.d/*.conf; }', main, live, staged);
    expect(r).toMatchObject({ ok: false, problem: expect.stringContaining('through a glob') });
  });
  it('refuses when the main config does not include the file by name', () => {
    expect(shadowConfig('http { include sites/*; }', main, live, staged)).toMatchObject({ ok: false, problem: expect.stringContaining('has no `include') });
  });
});

describe('planTest with wrapped nginx', () => {
  const live = '/etc/nginx/conf.d/backend.conf';
  const staged = stagedPath(live);
  it('finds nginx behind a wrapper and leaves the wrapper\'s own -c alone', () => {
    expect(planTest(['sh', '-c', 'sleep 1; exec "$@"', 'sh', '/usr/sbin/nginx', '-c', '/srv/n.conf', '-t'], live, staged).argv)
      .toEqual(['sh', '-c', 'sleep 1; exec "$@"', 'sh', '/usr/sbin/nginx', '-c', '/srv/.n.conf.deployer-test', '-t']);
    expect(planTest(['sudo', 'nginx', '-t'], live, staged).argv).toEqual(['sudo', 'nginx', '-c', '/etc/nginx/.nginx.conf.deployer-test', '-t']);
  });
  it('marks a command that runs no nginx and names no {staged} as unsupported', () => {
    expect(planTest(['/usr/local/bin/check-lb'], live, staged)).toEqual({ mode: 'unsupported', argv: ['/usr/local/bin/check-lb'] });
  });
});
