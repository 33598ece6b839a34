import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AgentAuthMethod, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { PreconditionError } from '../../core/errors.js';
import { sensitive, type Sensitive } from '../../core/sensitive.js';
import { fingerprintSha256 } from '../../core/ssh/known-hosts.js';
import { expandHome, readIfExists } from './files.js';

// What to log in with, as ssh(1) chooses it: the explicit identity file only (like IdentitiesOnly),
// otherwise the agent ($SSH_AUTH_SOCK) and then ~/.ssh/id_ed25519, id_ecdsa, id_rsa. Encrypted keys
// are decrypted with $DEPLOYER_SSH_PASSPHRASE (a pipeline has nobody to prompt); a default key that
// cannot be decrypted is skipped with a note, an explicit one is an error.

const { utils } = ssh2;

export const PASSPHRASE_ENV = 'DEPLOYER_SSH_PASSPHRASE';
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface Identity {
  label: string;
  method: AgentAuthMethod | PublicKeyAuthMethod;
}

export interface IdentityRequest {
  identityFile: string | undefined;
  passphrase: Sensitive<string> | undefined;
  user: string;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  /** `user@host:port`, for messages. */
  name: string;
  /** Receives why a default key was skipped. */
  notes: string[];
}

function parsePrivateKey(data: Buffer, passphrase: Sensitive<string> | undefined): ParsedKey | Error {
  const parsed = utils.parseKey(data, passphrase?.reveal());
  if (parsed instanceof Error) return parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || !key.isPrivateKey()) return new Error('not a private key');
  return key;
}

function keyProblem(err: Error): 'needs-passphrase' | 'bad-passphrase' | 'invalid' {
  if (/no passphrase given/i.test(err.message)) return 'needs-passphrase';
  if (/bad passphrase|integrity check failed|decrypt/i.test(err.message)) return 'bad-passphrase';
  return 'invalid';
}

export async function identities(req: IdentityRequest): Promise<Identity[]> {
  const { user, home, env, name, notes } = req;
  const passphrase = req.passphrase ?? (env[PASSPHRASE_ENV] ? sensitive(env[PASSPHRASE_ENV]!) : undefined);
  const fromFile = (path: string, data: Buffer): Identity | Error => {
    const key = parsePrivateKey(data, passphrase);
    if (key instanceof Error) return key;
    return {
      label: `key ${path} (${key.type} ${fingerprintSha256(key.getPublicSSH())})`,
      method: { type: 'publickey', username: user, key },
    };
  };

  if (req.identityFile !== undefined) {
    const path = expandHome(req.identityFile, home);
    const data = await readIfExists(path);
    if (!data) {
      throw new PreconditionError(`${name}: the SSH identity file ${path} does not exist`, {
        hint: 'fix identityFile in deployer.yaml, or remove it to use the agent and ~/.ssh/id_*',
        code: 'ssh.identity',
      });
    }
    const id = fromFile(path, data);
    if (!(id instanceof Error)) return [id];
    const problem = keyProblem(id);
    throw new PreconditionError(
      problem === 'needs-passphrase'
        ? `${name}: the SSH key ${path} is encrypted and no passphrase was given`
        : problem === 'bad-passphrase'
          ? `${name}: could not decrypt the SSH key ${path}: wrong passphrase`
          : `${name}: ${path} is not a usable private key (${id.message})`,
      {
        hint:
          problem === 'invalid'
            ? 'point identityFile at an OpenSSH or PEM private key (not the .pub file)'
            : `set ${PASSPHRASE_ENV} to the key's passphrase, or load the key into ssh-agent`,
        code: 'ssh.identity',
      },
    );
  }

  const found: Identity[] = [];
  const agent = env.SSH_AUTH_SOCK;
  if (agent) found.push({ label: `ssh-agent at ${agent}`, method: { type: 'agent', username: user, agent } });
  for (const file of DEFAULT_IDENTITIES) {
    const path = join(home, '.ssh', file);
    const data = await readIfExists(path);
    if (!data) continue;
    const id = fromFile(path, data);
    if (!(id instanceof Error)) {
      found.push(id);
      continue;
    }
    const problem = keyProblem(id);
    notes.push(
      problem === 'needs-passphrase'
        ? `skipped ${path}: encrypted, and ${PASSPHRASE_ENV} is not set`
        : problem === 'bad-passphrase'
          ? `skipped ${path}: ${PASSPHRASE_ENV} does not decrypt it`
          : `skipped ${path}: ${id.message}`,
    );
  }
  if (found.length === 0) {
    throw new PreconditionError(`${name}: no SSH identity to log in with`, {
      hint: 'start ssh-agent and ssh-add a key, create ~/.ssh/id_ed25519, or set identityFile in deployer.yaml',
      details: [`looked for $SSH_AUTH_SOCK and ${DEFAULT_IDENTITIES.map((f) => `~/.ssh/${f}`).join(', ')}`, ...notes],
      code: 'ssh.identity',
    });
  }
  return found;
}
