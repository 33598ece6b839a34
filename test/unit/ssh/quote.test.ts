import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { quoteArg, quoteArgv, remoteCommand } from '../../../src/core/ssh/quote.js';

// The exact strings; test/integration/ssh-quote.test.ts proves a real sh parses them back verbatim.
describe('quoteArg', () => {
  it.each([
    ['nginx', 'nginx'],
    ['/etc/nginx/conf.d/backend.conf', '/etc/nginx/conf.d/backend.conf'],
    ['-s', '-s'],
    ['user@host:22,x+y%', 'user@host:22,x+y%'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ["'", "''\\'''"],
    ['a;b', "'a;b'"],
    ['$HOME', "'$HOME'"],
    ['`id`', "'`id`'"],
    ['$(id)', "'$(id)'"],
    ['"dq"', `'"dq"'`],
    ['line1\nline2', "'line1\nline2'"],
    ['*', "'*'"],
    ['~', "'~'"],
    ['A=b', "'A=b'"],
    ['back\\slash', "'back\\slash'"],
    ['héllo', "'héllo'"],
  ])('%j → %s', (arg, quoted) => {
    expect(quoteArg(arg)).toBe(quoted);
  });

  it('refuses a NUL byte, which a C string would silently cut', () => {
    expect(() => quoteArg('a\0b')).toThrow(UsageError);
  });
});

describe('quoteArgv', () => {
  it('joins quoted words', () => {
    expect(quoteArgv(['nginx', '-s', 'reload'])).toBe('nginx -s reload');
    expect(quoteArgv(['nginx', '-t', '-c', '/etc/nginx/my conf'])).toBe("nginx -t -c '/etc/nginx/my conf'");
  });
  it('quotes a reserved word in command position so it runs as a program name', () => {
    expect(quoteArgv(['if', 'then'])).toBe("'if' then");
    expect(quoteArgv(['!'])).toBe("'!'");
  });
  it('refuses an empty argv', () => {
    expect(() => quoteArgv([])).toThrow(UsageError);
  });
});

describe('remoteCommand', () => {
  it('puts env assignments and the working directory into the command string', () => {
    expect(remoteCommand(['make', 'test'], { env: { CI: 'true', MSG: "it's $x" }, cwd: '/app dir' })).toBe(
      "cd '/app dir' && CI=true MSG='it'\\''s $x' make test",
    );
    expect(remoteCommand(['ls'], { cwd: '-weird' })).toBe('cd ./-weird && ls');
    expect(remoteCommand(['ls'])).toBe('ls');
  });
  it('refuses a variable name the shell would not take as an assignment', () => {
    expect(() => remoteCommand(['x'], { env: { 'A-B': '1' } })).toThrow(/invalid environment variable name "A-B"/);
    expect(() => remoteCommand(['x'], { env: { '1A': '1' } })).toThrow(UsageError);
    expect(() => remoteCommand(['x'], { env: { A: 'x\0' } })).toThrow(UsageError);
  });
});
