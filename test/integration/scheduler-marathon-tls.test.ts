import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { marathonClient } from '../../src/adapters/scheduler/marathon/client.js';
import { marathonScheduler } from '../../src/adapters/scheduler/marathon/index.js';
import { ConfigError, StepFailedError } from '../../src/core/errors.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

// Marathon over https with a private CA: trusted with deploy.marathon.caFile, refused (with a hint
// naming caFile) without it. A tiny https server answers /v2/info like Marathon.

let dir: TmpDir;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await tmpDir('deployer-marathon-tls-');
  const p = (f: string) => join(dir.path, f);
  const ssl = (args: string[]) => execa('openssl', args, { cwd: dir.path });
  await ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=deployer test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  await ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  await ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.pem']);
  server = createServer({ key: await readFile(p('server.key')), cert: await readFile(p('server.pem')) }, (req, res) => {
    if (req.url === '/v2/info') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'marathon', version: '1.9.109' }));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `unhandled ${req.url}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await dir?.cleanup();
});

const scheduler = (caFile?: string) => marathonScheduler({
  client: marathonClient({ url, ...(caFile ? { caFile } : {}), retry: { attempts: 2, baseDelayMs: 10 }, sleep: systemClock.sleep }),
  appPrefix: '/web-app', cpus: 0.1, mem: 32, clock: systemClock,
});

describe('marathon over https', () => {
  it('trusts the CA in deploy.marathon.caFile', async () => {
    expect(await scheduler(join(dir.path, 'ca.pem')).about()).toEqual({ endpoint: url, version: '1.9.109' });
  });

  it('without it: a TLS error that names caFile, not retried as a connection error', async () => {
    const err = await scheduler().about().catch((e: unknown) => e) as StepFailedError;
    expect(err).toBeInstanceOf(StepFailedError);
    expect(err.code).toBe('marathon.tls');
    expect(err.message).toMatch(/^TLS to Marathon at https:\/\/127\.0\.0\.1:\d+ failed: .*certificate/);
    expect(err.hint).toContain('deploy.marathon.caFile');
  });

  it('an unreadable caFile is a config problem', async () => {
    await expect(scheduler(join(dir.path, 'missing.pem')).about()).rejects.toBeInstanceOf(ConfigError);
  });
});
