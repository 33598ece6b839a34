import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprintSha256,
  hostLookupName,
  hostsMatch,
  keyTypeOf,
  parseKnownHosts,
  parsePublicKeyLine,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  wildcardMatch,
} from '../../../src/core/ssh/known-hosts.js';

// Fixtures made by real OpenSSH tools (fixtures/generate.sh): the hashed file is `ssh-keygen -H` of
// the plain one, the fingerprints are `ssh-keygen -lf`.
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
const key = (k: string) => parsePublicKeyLine(fixture(`key-${k}.pub`)).key;
const A = key('a'), B = key('b'), C = key('c'), D = key('d'), E = key('e'), F = key('f'), G = key('g');

const plain = parseKnownHosts(fixture('known_hosts.plain'), 'plain');
const hashed = parseKnownHosts(fixture('known_hosts.hashed'), 'hashed');

describe('parseKnownHosts', () => {
  it('reads every entry of the plain file with its line, marker and key', () => {
    expect(plain.entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [2, undefined, 'ssh-ed25519'],
      [3, undefined, 'ssh-ed25519'],
      [5, undefined, 'ecdsa-sha2-nistp256'],
      [6, undefined, 'ssh-rsa'],
      [7, 'revoked', 'ssh-ed25519'],
      [8, 'cert-authority', 'ssh-ed25519'],
      [9, undefined, 'ssh-ed25519'],
      [10, undefined, 'ssh-rsa'],
    ]);
    expect(plain.entries[0]!.comment).toBe('lb01');
    expect(plain.entries[0]!.key.equals(A)).toBe(true);
  });

  it('reads ssh-keygen -H output: comma lists become one hashed line per host', () => {
    const kinds = hashed.entries.map((e) => e.hosts.kind);
    expect(kinds.filter((k) => k === 'hashed')).toHaveLength(6);
    // Wildcards, negations and markers are left as they are by ssh-keygen -H.
    expect(hashed.entries.filter((e) => e.hosts.kind === 'patterns').map((e) => e.hostsText)).toEqual([
      '*.internal.example.com,!bad.internal.example.com',
      'lb0?.example.org',
      '*',
      '*.example.com',
    ]);
  });

  it('finds the same lines for a host as `ssh-keygen -F host -f known_hosts.hashed`', () => {
    const lines = (host: string, port: number) =>
      hashed.entries.filter((e) => hostsMatch(e.hosts, hostLookupName(host, port))).map((e) => e.line);
    // Recorded from ssh-keygen -F when the fixture was generated.
    expect(lines('lb01.example.com', 22)).toEqual([2, 8, 9, 12]);
    expect(lines('10.0.0.13', 2200)).toEqual([8, 11]);
  });

  it('notes @cert-authority lines as unsupported and skips broken lines with their line number', () => {
    expect(plain.notes).toEqual(['plain:8: @cert-authority entries are not supported (ssh2 cannot check host certificates); ignored']);
    const { entries, notes } = parseKnownHosts(
      [
        'good ssh-ed25519 ' + A.toString('base64'),
        'onlyhost',
        '@bogus host ssh-ed25519 ' + A.toString('base64'),
        'h ssh-rsa ' + A.toString('base64'), // the key inside is ed25519
        'h ssh-ed25519 not*base64',
        '|1|c2FsdA==|aG1hYw== ssh-ed25519 ' + A.toString('base64'), // salt/hmac not 20 bytes
        '  # indented comment',
        '\t',
      ].join('\r\n'),
      'f',
    );
    expect(entries.map((e) => e.hostsText)).toEqual(['good']);
    expect(notes).toEqual([
      'f:2: expected "[marker] hosts type key [comment]"; line ignored',
      'f:3: unknown marker @bogus; line ignored',
      'f:4: the key says it is ssh-ed25519, the line says ssh-rsa; line ignored',
      'f:5: the key is not base64; line ignored',
      'f:6: hashed host has a salt or hmac of the wrong length; line ignored',
    ]);
  });
});

describe('verifyHostKey against the plain and the hashed file alike', () => {
  const cases: [string, number, Buffer, string][] = [
    ['lb01.example.com', 22, A, 'match'],
    ['10.0.0.11', 22, A, 'match'],
    ['LB01.Example.COM', 22, A, 'match'], // ssh(1) lowercases the host before the lookup
    ['lb01.example.com', 22, D, 'match'], // a second key type for the same host
    ['lb01.example.com', 22, G, 'mismatch'], // another ed25519 key: changed
    ['lb01.example.com', 2222, A, 'unknown'], // a port other than 22 is looked up as [host]:port
    ['lb02.example.com', 2222, B, 'match'],
    ['lb02.example.com', 22, B, 'unknown'],
    ['lb02.example.com', 2222, G, 'mismatch'],
    ['10.0.0.13', 2200, A, 'match'],
    ['10.0.0.12', 2200, A, 'match'],
    ['10.0.0.14', 2200, A, 'unknown'],
    ['web.internal.example.com', 22, C, 'match'], // wildcard
    ['bad.internal.example.com', 22, C, 'unknown'], // negation vetoes the line
    ['internal.example.com', 22, C, 'unknown'], // "*." needs the dot
    ['lb07.example.org', 22, D, 'match'], // ? is one character
    ['lb17.example.org', 22, D, 'unknown'],
    ['anything', 22, E, 'revoked'], // @revoked * applies to every host
    ['lb01.example.com', 22, E, 'revoked'],
    ['lb01.example.com', 22, F, 'mismatch'], // the CA key is not a host key: F conflicts with A
    ['nowhere.example.net', 22, G, 'unknown'],
  ];
  it.each(cases)('%s port %i → %s (plain)', (host, port, k, verdict) => {
    expect(verifyHostKey(plain.entries, host, port, k)).toBe(verdict);
  });
  it.each(cases)('%s port %i → %s (hashed)', (host, port, k, verdict) => {
    expect(verifyHostKey(hashed.entries, host, port, k)).toBe(verdict);
  });
});

describe('checkHostKey explains its verdict', () => {
  it('names the accepting, conflicting and revoking lines', () => {
    const ok = checkHostKey(plain.entries, 'lb01.example.com', 22, A);
    expect(ok).toMatchObject({ verdict: 'match', lookup: 'lb01.example.com', keyType: 'ssh-ed25519', entry: { line: 2 } });
    expect(ok.knownTypes).toEqual(['ssh-ed25519', 'ssh-rsa']);

    const changed = checkHostKey(plain.entries, 'lb02.example.com', 2222, G);
    expect(changed.verdict).toBe('mismatch');
    expect(changed.lookup).toBe('[lb02.example.com]:2222');
    expect(changed.conflicting.map((e) => e.line)).toEqual([3]);

    const revoked = checkHostKey(hashed.entries, 'x', 22, E);
    expect(revoked).toMatchObject({ verdict: 'revoked', entry: { line: 8, marker: 'revoked' } });
  });

  it('an RSA-only host presented with an ed25519 key is unknown (other types known), not a mismatch', () => {
    const r = checkHostKey(plain.entries, 'lb05.example.org', 22, G);
    expect(r.verdict).toBe('unknown');
    expect(r.knownTypes).toEqual(['ssh-rsa']);
  });

  it('reports the ignored @cert-authority entry covering the host', () => {
    const r = checkHostKey(plain.entries, 'new.example.com', 22, G);
    expect(r.verdict).toBe('unknown');
    expect(r.ignoredCertAuthorities.map((e) => e.line)).toEqual([8]);
  });

  it('treats ECDSA curves as one family when deciding "changed"', () => {
    const p384 = Buffer.concat([lenPrefixed('ecdsa-sha2-nistp384'), lenPrefixed('nistp384'), lenPrefixed('x')]);
    expect(verifyHostKey(plain.entries, 'a.internal.example.com', 22, p384)).toBe('mismatch');
  });
});

describe('fingerprints and key types', () => {
  it('formats SHA256 fingerprints exactly as ssh-keygen -l', () => {
    const expected = Object.fromEntries(fixture('fingerprints.txt').trim().split('\n').map((l) => l.split(' ') as [string, string]));
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) expect(fingerprintSha256(key(k))).toBe(expected[k]);
  });
  it('reads the type from the wire format', () => {
    expect([A, C, D].map(keyTypeOf)).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa']);
    expect(keyTypeOf(Buffer.from([0, 0, 0]))).toBeUndefined();
    expect(keyTypeOf(Buffer.from([0, 0, 1, 0, 65]))).toBeUndefined();
  });
  it('parses a .pub line and refuses a mislabelled one', () => {
    expect(parsePublicKeyLine(`ssh-ed25519 ${A.toString('base64')} root@box\n`)).toMatchObject({ keyType: 'ssh-ed25519', comment: 'root@box' });
    expect(() => parsePublicKeyLine(`ssh-rsa ${A.toString('base64')}`)).toThrow(/says it is ssh-ed25519/);
    expect(() => parsePublicKeyLine('ssh-ed25519')).toThrow(/expected/);
  });
});

describe('lookup names, wildcards and algorithm order', () => {
  it('uses [host]:port except on port 22', () => {
    expect(hostLookupName('Lb01', 22)).toBe('lb01');
    expect(hostLookupName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(hostLookupName('::1', 2222)).toBe('[::1]:2222');
  });
  it.each([
    ['abc', 'abc', true], ['abc', 'a*', true], ['abc', '*', true], ['', '*', true], ['abc', 'a?c', true],
    ['abc', 'a?', false], ['abc', '*c*', true], ['abcbd', '*b?', true], ['abc', 'abcd', false], ['[h]:22', '[h]:2?', true],
    ['a.b.c', '*.c', true], ['c', '*.c', false],
  ] as const)('%j vs %j → %s', (text, pattern, expected) => {
    expect(wildcardMatch(text, pattern)).toBe(expected);
  });
  it('puts the known key types first, keeping the rest in ssh2 order', () => {
    expect(preferredHostKeyAlgorithms([])).toBeUndefined();
    expect(preferredHostKeyAlgorithms(['sk-ssh-ed25519@openssh.com'])).toBeUndefined();
    expect(preferredHostKeyAlgorithms(['ssh-rsa'])).toEqual([
      'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa',
      'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
    ]);
    expect(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256', 'ssh-ed25519'])?.slice(0, 3)).toEqual([
      'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384',
    ]);
  });
});

function lenPrefixed(s: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(s.length);
  return Buffer.concat([b, Buffer.from(s)]);
}
