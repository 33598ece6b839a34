// quoteArgv/remoteCommand strings parsed by real shells give back exactly the original words.
// (Over SSH the remote login shell does this parsing; ssh-lb-host.test.ts checks that path too.)
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { quoteArgv, remoteCommand } from '../../src/core/ssh/quote.js';
import { splitNul, TRICKY } from '../support/ssh-helpers.js';

describe.each(['/bin/sh', 'bash', 'dash'])('%s parses the quoted words back verbatim', (shell) => {
  it('every tricky argument', async () => {
    const r = await execa(shell, ['-c', quoteArgv(['printf', '%s\\0', ...TRICKY])], { stripFinalNewline: false });
    expect(splitNul(r.stdout)).toEqual(TRICKY);
  });

  it('a reserved word as the program runs as a program name', async () => {
    const r = await execa(shell, ['-c', quoteArgv(['if'])], { reject: false });
    expect(r.exitCode).toBe(127); // "if: not found", not a syntax error (2)
  });

  it('env values and the working directory', async () => {
    const env = Object.fromEntries(TRICKY.map((v, i) => [`V${i}`, v]));
    const script = `printf '%s\\0' ${TRICKY.map((_, i) => `"$V${i}"`).join(' ')}; pwd`;
    const cmd = remoteCommand(['sh', '-c', script], { env, cwd: '/tmp' });
    const r = await execa(shell, ['-c', cmd], { stripFinalNewline: false, env: { HOME: '/nonexistent' } });
    const out = r.stdout.split('\0');
    expect(out.slice(0, -1)).toEqual(TRICKY);
    expect(out.at(-1)).toBe('/tmp\n');
  });
});
