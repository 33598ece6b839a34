import { join } from 'node:path';
import { PreconditionError } from '../../core/errors.js';
import {
  checkHostKey,
  fingerprintSha256,
  parseKnownHosts,
  parsePublicKeyLine,
  type HostKeyCheck,
  type KnownHostEntry,
} from '../../core/ssh/known-hosts.js';
import type { Log } from '../../ports/log.js';
import { expandHome, readIfExists } from './files.js';

// Which host keys are acceptable, and the refusal a person reads when the presented one is not:
// known_hosts (explicit files, or ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts) or exactly one
// pinned public key. There is no "accept any key" mode.

const SYSTEM_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';

export type HostKeyPolicy =
  | { kind: 'known-hosts'; entries: KnownHostEntry[]; files: string[] }
  | { kind: 'pinned'; key: Buffer; keyType: string; source: string };

export interface HostKeySource {
  knownHostsFiles?: readonly string[] | undefined;
  pinnedHostKey?: string | undefined;
  pinnedHostKeySource?: string | undefined;
}

export async function hostKeyPolicy(opts: HostKeySource, home: string, name: string, log: Log | undefined): Promise<HostKeyPolicy> {
  if (opts.pinnedHostKey !== undefined) {
    const source = opts.pinnedHostKeySource ?? 'the pinned host key';
    try {
      const { key, keyType } = parsePublicKeyLine(opts.pinnedHostKey);
      return { kind: 'pinned', key, keyType, source };
    } catch (e) {
      throw new PreconditionError(`${name}: ${source} is not an SSH public key: ${(e as Error).message}`, {
        hint: 'it should be one line "<type> <base64 key> [comment]", like an ssh_host_*_key.pub file',
        code: 'ssh.host-key',
      });
    }
  }
  const explicit = opts.knownHostsFiles !== undefined;
  const files = explicit
    ? opts.knownHostsFiles!.map((f) => expandHome(f, home))
    : [join(home, '.ssh', 'known_hosts'), SYSTEM_KNOWN_HOSTS];
  const entries: KnownHostEntry[] = [];
  for (const file of files) {
    const data = await readIfExists(file);
    if (!data) {
      if (explicit) {
        throw new PreconditionError(`${name}: the known_hosts file ${file} does not exist`, {
          hint: 'fix knownHosts in deployer.yaml, or remove it to use ~/.ssh/known_hosts',
          code: 'ssh.known-hosts',
        });
      }
      continue;
    }
    const parsed = parseKnownHosts(data.toString('utf8'), file);
    entries.push(...parsed.entries);
    for (const note of parsed.notes) log?.debug(note);
  }
  return { kind: 'known-hosts', entries, files };
}

export function checkAgainst(policy: HostKeyPolicy, host: string, port: number, key: Buffer): HostKeyCheck {
  if (policy.kind === 'known-hosts') return checkHostKey(policy.entries, host, port, key);
  const check = checkHostKey([], host, port, key);
  return policy.key.equals(key) ? { ...check, verdict: 'match' } : { ...check, verdict: 'mismatch', knownTypes: [policy.keyType] };
}

export function hostKeyError(name: string, host: string, port: number, policy: HostKeyPolicy, check: HostKeyCheck): PreconditionError {
  const fp = `${check.keyType} ${check.fingerprint}`;
  if (policy.kind === 'pinned') {
    return new PreconditionError(`${name}: the SSH host key does not match ${policy.source}; refusing to connect`, {
      details: [`presented: ${fp}`, `expected:  ${policy.keyType} ${fingerprintSha256(policy.key)}`],
      hint: `is something else listening on port ${port}? Nothing was sent to it`,
      code: 'ssh.host-key-mismatch',
    });
  }
  const file = policy.files[0] ?? '~/.ssh/known_hosts';
  const keyscan = `ssh-keyscan -p ${port} ${host} >> ${file}`;
  const checked = `checked: ${policy.files.join(', ')}`;
  const at = (e: KnownHostEntry) => `${e.source}:${e.line}`;
  if (check.verdict === 'revoked') {
    return new PreconditionError(`${name}: the SSH host key ${check.fingerprint} is revoked (${at(check.entry!)}); refusing to connect`, {
      details: [`presented: ${fp}`],
      hint: 'the host needs a new host key; keep the @revoked line',
      code: 'ssh.host-key-revoked',
    });
  }
  if (check.verdict === 'mismatch') {
    return new PreconditionError(
      `${name}: the SSH host key has CHANGED since it was recorded; refusing to connect (someone may be intercepting the connection, or the host was reinstalled)`,
      {
        details: [`presented: ${fp}`, ...check.conflicting.map((e) => `recorded:  ${e.keyType} ${fingerprintSha256(e.key)} at ${at(e)}`), checked],
        hint: `if the change is expected, verify ${check.fingerprint} out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), remove the old entry with ssh-keygen -R '${check.lookup}' -f ${file}, then add the new one: ${keyscan}`,
        code: 'ssh.host-key-mismatch',
      },
    );
  }
  const other = check.knownTypes.length ? [`known for ${check.lookup}: only ${check.knownTypes.join(', ')} keys`] : [];
  const ca = check.ignoredCertAuthorities.map((e) => `${at(e)}: @cert-authority ignored (host certificates are not supported)`);
  return new PreconditionError(`${name}: the SSH host key of ${check.lookup} is not in known_hosts; refusing to connect`, {
    details: [`presented: ${fp}`, ...other, ...ca, checked],
    hint: `verify ${check.fingerprint} out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then add it: ${keyscan}`,
    code: 'ssh.host-key-unknown',
  });
}
