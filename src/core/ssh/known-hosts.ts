import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

// OpenSSH known_hosts, read the way ssh(1) reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT",
// hostfile.c, match.c). No maintained npm parser exists (docs/traps.md §3). node:crypto does no
// I/O, so this stays in the pure core.
//
// - A host is looked up as `host` on port 22 and as `[host]:port` otherwise, lowercased (ssh.c
//   lowercases the host name before any lookup, so a hashed entry made from mixed case never matches,
//   exactly as in OpenSSH).
// - Patterns are comma-separated, with `*` and `?`; a matching `!pattern` vetoes the whole line.
// - `|1|salt|hmac` (ssh-keygen -H) matches when HMAC-SHA1(key = salt, data = host) equals hmac.
// - `@revoked` lines make a key unacceptable for the hosts they match; `@cert-authority` lines need
//   host certificates, which ssh2 does not support: they are ignored, with a note.
// - A line that cannot be parsed is skipped with a note, as ssh(1) skips it.

export type HostMatcher =
  | { kind: 'patterns'; patterns: { negated: boolean; pattern: string }[] }
  | { kind: 'hashed'; salt: Buffer; hmac: Buffer };

export interface KnownHostEntry {
  /** File name (for messages) and 1-based line number. */
  source: string;
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  hostsText: string;
  hosts: HostMatcher;
  keyType: string;
  /** The key in SSH wire format (what ssh2's hostVerifier receives). */
  key: Buffer;
  comment: string;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** Lines skipped or ignored, for people (`file:line: why`). */
  notes: string[];
}

export type HostKeyVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked';

export interface HostKeyCheck {
  verdict: HostKeyVerdict;
  /** The name looked up: `host` or `[host]:port`. */
  lookup: string;
  keyType: string;
  fingerprint: string;
  /** The entry that accepted (match) or revoked the key. */
  entry?: KnownHostEntry;
  /** Entries for this host with a different key of the same type (mismatch). */
  conflicting: KnownHostEntry[];
  /** Key types known for this host (for "keys of other types are known"). */
  knownTypes: string[];
  /** @cert-authority entries that cover this host but were ignored. */
  ignoredCertAuthorities: KnownHostEntry[];
}

/** The first string of a wire-format public key is its type (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return undefined;
  const type = key.subarray(4, 4 + len).toString('latin1');
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** `SHA256:<base64 without padding>`, exactly as `ssh-keygen -l` prints it. */
export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The name ssh(1) looks up in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function hostLookupName(host: string, port = 22): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

export interface PublicKeyLine {
  keyType: string;
  key: Buffer;
  comment: string;
}

/** Parses `type base64 [comment]` (an id_*.pub or ssh_host_*_key.pub line). */
export function parsePublicKeyLine(text: string): PublicKeyLine {
  const fields = text.trim().split(/\s+/);
  const [keyType, b64, ...rest] = fields;
  if (!keyType || !b64) throw new Error('expected "<type> <base64 key> [comment]"');
  const key = decodeKey(keyType, b64);
  return { keyType, key, comment: rest.join(' ') };
}

function decodeKey(keyType: string, b64: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('the key is not base64');
  const key = Buffer.from(b64, 'base64');
  const embedded = keyTypeOf(key);
  if (embedded === undefined) throw new Error('the key is not an SSH public key');
  if (embedded !== keyType) throw new Error(`the key says it is ${embedded}, the line says ${keyType}`);
  return key;
}

function parseHosts(field: string): HostMatcher {
  if (field.startsWith('|')) {
    const m = /^\|1\|([A-Za-z0-9+/]+={0,2})\|([A-Za-z0-9+/]+={0,2})$/.exec(field);
    if (!m) throw new Error('unsupported hashed host (expected |1|salt|hmac)');
    const salt = Buffer.from(m[1]!, 'base64');
    const hmac = Buffer.from(m[2]!, 'base64');
    if (salt.length !== 20 || hmac.length !== 20) throw new Error('hashed host has a salt or hmac of the wrong length');
    return { kind: 'hashed', salt, hmac };
  }
  const patterns = field.split(',').filter((p) => p.length > 0).map((p) =>
    p.startsWith('!') ? { negated: true, pattern: p.slice(1).toLowerCase() } : { negated: false, pattern: p.toLowerCase() },
  );
  if (patterns.length === 0) throw new Error('no host patterns');
  return { kind: 'patterns', patterns };
}

export function parseKnownHosts(text: string, source = 'known_hosts'): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const notes: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        notes.push(`${source}:${line}: unknown marker ${m}; line ignored`);
        return;
      }
    }
    const [hostsText, keyType, b64, ...comment] = fields;
    if (!hostsText || !keyType || !b64) {
      notes.push(`${source}:${line}: expected "[marker] hosts type key [comment]"; line ignored`);
      return;
    }
    try {
      entries.push({ source, line, marker, hostsText, hosts: parseHosts(hostsText), keyType, key: decodeKey(keyType, b64), comment: comment.join(' ') });
    } catch (e) {
      notes.push(`${source}:${line}: ${(e as Error).message}; line ignored`);
      return;
    }
    if (marker === 'cert-authority') {
      notes.push(`${source}:${line}: @cert-authority entries are not supported (ssh2 cannot check host certificates); ignored`);
    }
  });
  return { entries, notes };
}

/** OpenSSH's match_pattern: `*` any run (also empty), `?` one character; anchored at both ends. */
export function wildcardMatch(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

export function hostsMatch(hosts: HostMatcher, lookup: string): boolean {
  if (hosts.kind === 'hashed') {
    const mac = createHmac('sha1', hosts.salt).update(lookup).digest();
    return timingSafeEqual(mac, hosts.hmac);
  }
  let matched = false;
  for (const { negated, pattern } of hosts.patterns) {
    if (!wildcardMatch(lookup, pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

// ssh-keygen treats every ECDSA curve as one key type when it reports a changed key.
const family = (type: string): string => (type.startsWith('ecdsa-sha2-') ? 'ecdsa' : type);

export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyCheck {
  const lookup = hostLookupName(host, port);
  const keyType = keyTypeOf(key) ?? 'unknown';
  const forHost = entries.filter((e) => hostsMatch(e.hosts, lookup));
  const base = {
    lookup,
    keyType,
    fingerprint: fingerprintSha256(key),
    knownTypes: [...new Set(forHost.filter((e) => e.marker === undefined).map((e) => e.keyType))],
    ignoredCertAuthorities: forHost.filter((e) => e.marker === 'cert-authority'),
  };
  const revoked = forHost.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { ...base, verdict: 'revoked', entry: revoked, conflicting: [] };
  const plain = forHost.filter((e) => e.marker === undefined);
  const accepted = plain.find((e) => e.key.equals(key));
  if (accepted) return { ...base, verdict: 'match', entry: accepted, conflicting: [] };
  const conflicting = plain.filter((e) => family(e.keyType) === family(keyType));
  return { ...base, verdict: conflicting.length ? 'mismatch' : 'unknown', conflicting };
}

/** Key types recorded for a host (not revoked, not CA), in file order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const lookup = hostLookupName(host, port);
  return [...new Set(entries.filter((e) => e.marker === undefined && hostsMatch(e.hosts, lookup)).map((e) => e.keyType))];
}

export function verifyHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  return checkHostKey(entries, host, port, key).verdict;
}

// ssh2's default host key algorithm order (lib/protocol/constants.js, with ed25519 available).
const SSH2_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * Host key algorithms with those of the known key types first, as ssh(1) orders them: a server with
 * several host keys then presents the one known_hosts can check. Undefined: keep the default order.
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] | undefined {
  const first = SSH2_HOST_KEY_ALGORITHMS.filter((a) =>
    knownTypes.some((t) => (t === 'ssh-rsa' ? a.startsWith('rsa-sha2-') || a === 'ssh-rsa' : a === t)),
  );
  if (first.length === 0) return undefined;
  return [...first, ...SSH2_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}
