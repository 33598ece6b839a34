import { describe, expect, it } from 'vitest';
import { planTest, shadowPath, stagedPath } from '../../../src/core/nginx/test-config.js';

describe('staged and shadow names', () => {
  it('stays beside the original, hidden from include globs', () => {
    expect(stagedPath('/etc/nginx/conf.d/backend.conf')).toBe('/etc/nginx/conf.d/.backend.conf.deployer-staged');
    expect(shadowPath('/etc/nginx/nginx.conf')).toBe('/etc/nginx/.nginx.conf.deployer-test');
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
