import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authConfig, loadRegistryCredentials, registryKey } from '../../../src/adapters/docker/registry-auth.js';
import { UsageError } from '../../../src/core/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deployer-regauth-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify({
    auths: {
      'https://reg.example:5000/v1/': { auth: Buffer.from('ci:pa:ss').toString('base64') },
      'other.example': { username: 'u', password: 'p' },
    },
    credsStore: 'desktop',
  }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('registry credentials', () => {
  it('prefers DEPLOYER_REGISTRY_USER/PASSWORD and keeps the password sensitive', async () => {
    const c = await loadRegistryCredentials('reg.example:5000', { DEPLOYER_REGISTRY_USER: 'env', DEPLOYER_REGISTRY_PASSWORD: 's3cret', DOCKER_CONFIG: dir });
    expect(c?.username).toBe('env');
    expect(c?.password.reveal()).toBe('s3cret');
    expect(JSON.stringify(c)).not.toContain('s3cret');
    expect(inspect(c)).not.toContain('s3cret');
    expect(authConfig('reg.example:5000', c)).toEqual({ username: 'env', password: 's3cret', serveraddress: 'reg.example:5000' });
  });

  it('insists on both variables', async () => {
    await expect(loadRegistryCredentials('h', { DEPLOYER_REGISTRY_USER: 'x' })).rejects.toBeInstanceOf(UsageError);
  });

  it('reads auths[host].auth from $DOCKER_CONFIG/config.json, whatever the key spelling', async () => {
    const c = await loadRegistryCredentials('reg.example:5000', { DOCKER_CONFIG: dir });
    expect(c?.username).toBe('ci');
    expect(c?.password.reveal()).toBe('pa:ss');
    expect(c?.source).toBe(join(dir, 'config.json'));
    expect((await loadRegistryCredentials('other.example', { DOCKER_CONFIG: dir }))?.username).toBe('u');
  });

  it('has none for an unknown host or a missing file', async () => {
    expect(await loadRegistryCredentials('nope.example', { DOCKER_CONFIG: dir })).toBeUndefined();
    expect(await loadRegistryCredentials('reg.example:5000', { DOCKER_CONFIG: join(dir, 'missing') })).toBeUndefined();
    expect(authConfig('h', undefined)).toBeUndefined();
  });

  it('normalises registry keys', () => {
    expect(registryKey('https://Reg.Example:5000/v1/')).toBe('reg.example:5000');
    expect(registryKey('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });
});
