import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { formatSshTarget, parseSshTarget } from '../../../src/core/ssh/target.js';

describe('parseSshTarget', () => {
  it.each([
    ['root@lb01', { user: 'root', host: 'lb01', port: 22 }],
    ['deploy@lb01.example.com:2222', { user: 'deploy', host: 'lb01.example.com', port: 2222 }],
    ['lb01', { user: undefined, host: 'lb01', port: 22 }],
    ['root@127.0.0.1:65535', { user: 'root', host: '127.0.0.1', port: 65535 }],
    ['root@[::1]:2222', { user: 'root', host: '::1', port: 2222 }],
    ['[fe80::1]', { user: undefined, host: 'fe80::1', port: 22 }],
    ['first.last@h', { user: 'first.last', host: 'h', port: 22 }],
  ])('%s', (text, expected) => {
    expect(parseSshTarget(text)).toEqual(expected);
  });

  it.each([
    ['root@', /host/],
    ['root@lb01:0', /between 1 and 65535/],
    ['root@lb01:70000', /between 1 and 65535/],
    ['root@lb01:', /port should be a number/],
    ['root@lb01:22x', /port should be a number/],
    ['root@::1', /brackets/],
    ['root@[::1', /missing "]"/],
    ['root@[::1]2222', /expected ":port"/],
    ['root@[lb01]:22', /only an IPv6/],
    ['ro ot@lb01', /user name/],
    ['root@lb01;rm', /host should be/],
    ['-oProxyCommand=x', /host should be/],
  ])('refuses %s', (text, why) => {
    expect(() => parseSshTarget(text)).toThrow(UsageError);
    expect(() => parseSshTarget(text)).toThrow(why);
  });

  it('uses the given default port', () => {
    expect(parseSshTarget('h', 2022).port).toBe(2022);
  });
});

describe('formatSshTarget', () => {
  it('prints user@host:port with IPv6 in brackets', () => {
    expect(formatSshTarget({ user: 'root', host: 'lb01', port: 22 })).toBe('root@lb01:22');
    expect(formatSshTarget({ user: undefined, host: '::1', port: 2222 })).toBe('[::1]:2222');
  });
});
