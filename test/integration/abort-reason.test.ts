// Ctrl-C must reach every adapter as the interruption itself: the CLI aborts with an
// InterruptedError and maps it to exit 130, so an adapter handed an AbortSignal must reject with
// signal.reason — never its library's generic AbortError ("The operation was aborted"), which the
// CLI would report as a bug. Each case interrupts a real call at the point where it waits: a server
// that accepts the connection and never answers, or answers the headers and never the body, the
// engine running a command, building, pushing and pulling, a git held up by a hook.
import { execa } from 'execa';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { gitAt } from '../../src/adapters/git.js';
import { dockerEngine } from '../../src/adapters/docker/engine.js';
import { dockerImages } from '../../src/adapters/docker/images.js';
import { transports } from '../support/engine.js';
import { nodeHttp } from '../../src/adapters/http.js';
import { registryClient } from '../../src/adapters/registry.js';
import { marathonClient } from '../../src/adapters/scheduler/marathon/client.js';
import { connectSsh } from '../../src/adapters/ssh/connect.js';
import { signalInterruption } from '../../src/core/errors.js';
import { z } from 'zod';
import { uniqueName } from '../support/build.js';
import { makeGitRepo } from '../support/git-repo.js';
import { waitFor } from '../support/wait.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

const T = 120_000;
const BASE = 'deployer-base/busybox:latest';

/** A TCP server that accepts connections and never says anything; `connected` resolves on the next one. */
async function silentServer(): Promise<{ port: number; nextConnection(): Promise<void>; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  let waiting: (() => void)[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    for (const w of waiting) w();
    waiting = [];
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    nextConnection: () => new Promise<void>((resolve) => waiting.push(resolve)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An HTTP server that sends 200 and the start of a JSON body, then nothing more. */
async function stallingServer(): Promise<{ port: number; nextBody(): Promise<void>; close(): Promise<void> }> {
  let waiting: (() => void)[] = [];
  const server: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000', 'docker-content-digest': 'sha256:0' });
    res.write('{"schemaVersion":', () => {
      for (const w of waiting) w();
      waiting = [];
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    nextBody: () => new Promise<void>((resolve) => waiting.push(resolve)),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts `call` with a fresh signal, aborts it with an interruption once `when` resolves, and returns both. */
async function interrupted(when: Promise<unknown>, call: (signal: AbortSignal) => Promise<unknown>): Promise<{ result: Promise<unknown>; reason: Error }> {
  const ac = new AbortController();
  const reason = signalInterruption('SIGINT');
  const result = call(ac.signal);
  result.catch(() => {});
  await Promise.race([when, result]);
  ac.abort(reason);
  return { result, reason };
}

let silent: Awaited<ReturnType<typeof silentServer>>;
let stalling: Awaited<ReturnType<typeof stallingServer>>;
const noCredentials = async () => undefined;

beforeAll(async () => {
  silent = await silentServer();
  stalling = await stallingServer();
});

afterAll(async () => {
  await Promise.all([silent?.close(), stalling?.close()]);
});

describe('an interrupted adapter rejects with the abort reason', () => {
  it('registry: waiting for an answer, and reading a body that never ends', async () => {
    const waiting = registryClient({ host: `127.0.0.1:${silent.port}`, credentials: noCredentials });
    const a = await interrupted(silent.nextConnection(), (s) => waiting.ping(s));
    await expect(a.result).rejects.toBe(a.reason);
    const body = registryClient({ host: `127.0.0.1:${stalling.port}`, credentials: noCredentials });
    const b = await interrupted(stalling.nextBody(), (s) => body.image('127.0.0.1/app:1', s));
    await expect(b.result).rejects.toBe(b.reason);
  });

  it('http probe: waiting for an answer, and reading a body that never ends', async () => {
    const a = await interrupted(silent.nextConnection(), (s) => nodeHttp.get(`http://127.0.0.1:${silent.port}/`, { signal: s }));
    await expect(a.result).rejects.toBe(a.reason);
    const b = await interrupted(stalling.nextBody(), (s) => nodeHttp.get(`http://127.0.0.1:${stalling.port}/`, { signal: s }));
    await expect(b.result).rejects.toBe(b.reason);
  });

  it('marathon: waiting for an answer, and reading a body that never ends', async () => {
    const client = (port: number) => marathonClient({ url: `http://127.0.0.1:${port}`, sleep: systemClock.sleep });
    const a = await interrupted(silent.nextConnection(), (s) => client(silent.port).request('GET', '/v2/info', { schema: z.unknown(), signal: s }));
    await expect(a.result).rejects.toBe(a.reason);
    const b = await interrupted(stalling.nextBody(), (s) => client(stalling.port).request('GET', '/v2/info', { schema: z.unknown(), signal: s }));
    await expect(b.result).rejects.toBe(b.reason);
  });

  it('git: a git still running (held up by an fsmonitor hook)', async () => {
    const repo = await makeGitRepo({ 'a.txt': 'a\n' });
    try {
      const marker = join(repo.dir, '.git', 'hook-started');
      const hook = join(repo.dir, '.git', 'slow-fsmonitor');
      // The hook outlives the killed git by at most 20 s, then exits by itself.
      await writeFile(hook, `#!/bin/sh\ntouch '${marker}'\nexec sleep 20 2>/dev/null\n`, { mode: 0o755 });
      await repo.git(['config', 'core.fsmonitor', hook]);
      const started = waitFor(async () => existsSync(marker) || undefined, { what: 'the fsmonitor hook to start', timeoutMs: 30_000, intervalMs: 50 });
      const a = await interrupted(started, (signal) => gitAt(repo.dir, { signal }).isDirty());
      await expect(a.result).rejects.toBe(a.reason);
      const ac = new AbortController();
      ac.abort(signalInterruption('SIGTERM'));
      await expect(gitAt(repo.dir, { signal: ac.signal }).show('HEAD', 'a.txt')).rejects.toBe(ac.signal.reason);
      await expect(gitAt(repo.dir, { signal: ac.signal }).resolve('HEAD')).rejects.toBe(ac.signal.reason);
    } finally {
      await repo.close();
    }
  });

  describe('ssh', () => {
    let keys: TmpDir;
    beforeAll(async () => {
      keys = await tmpDir('deployer-abort-ssh-');
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys.path, 'id')]);
    });
    afterAll(() => keys?.cleanup());

    it('connecting to a server that never sends its banner', async () => {
      const pub = (await execa('cat', [join(keys.path, 'id.pub')])).stdout;
      const a = await interrupted(silent.nextConnection(), (s) => connectSsh({
        host: '127.0.0.1', port: silent.port, user: 'nobody', identityFile: join(keys.path, 'id'), pinnedHostKey: pub, env: {}, signal: s,
      }));
      await expect(a.result).rejects.toBe(a.reason);
    });
  });

  // Both engine transports: each aborts its own way (node:http's signal, the modem's abortSignal).
  describe.each(transports)('docker (%s)', (_, engineApi) => {
    const docker = engineApi();
    const engine = dockerEngine(docker);
    const name = uniqueName('abort');
    const images = dockerImages(docker, { registry: undefined, credentials: noCredentials });
    const tags: string[] = [];

    afterAll(async () => {
      await execa('docker', ['rm', '-f', name], { reject: false });
      if (tags.length) await execa('docker', ['rmi', ...tags], { reject: false });
    }, T);

    it('exec: a command still running in the container', async () => {
      await engine.createContainer({ image: BASE, name, cmd: ['sleep', '600'] });
      await engine.startContainer(name);
      let started: () => void = () => {};
      const onStart = new Promise<void>((r) => (started = r));
      const a = await interrupted(onStart, (s) => engine.exec(name, ['sh', '-c', 'echo started; sleep 600'], { signal: s, onLine: () => started() }));
      await expect(a.result).rejects.toBe(a.reason);
    }, T);

    it('build: a RUN still running', async () => {
      const pack = tarStream.pack();
      pack.entry({ name: 'Dockerfile' }, `FROM ${BASE}\nRUN echo build-started && sleep 600\n`);
      pack.finalize();
      const tag = `deployer-test/${name}:build`;
      tags.push(tag);
      let started: () => void = () => {};
      const onStart = new Promise<void>((r) => (started = r));
      const a = await interrupted(onStart, (signal) => images.build({
        context: Readable.from(pack), exclude: [], dockerfile: 'Dockerfile', tag, labels: {}, buildArgs: {}, signal,
        onLine: (l) => { if (l.includes('build-started')) started(); },
      }));
      await expect(a.result).rejects.toBe(a.reason);
    }, T);

    it('push and pull: a registry that never answers the engine', async () => {
      const host = `127.0.0.1:${silent.port}`;
      const transfer = dockerImages(docker, { registry: host, credentials: noCredentials, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const ref = `${host}/deployer-test/${name}:push`;
      await execa('docker', ['tag', BASE, ref]);
      tags.push(ref);
      const push = await interrupted(silent.nextConnection(), (signal) => transfer.push(ref, { signal }));
      await expect(push.result).rejects.toBe(push.reason);
      const pull = await interrupted(silent.nextConnection(), (signal) => transfer.pull(`${host}/deployer-test/${name}:pull`, { signal }));
      await expect(pull.result).rejects.toBe(pull.reason);
    }, T);

    it('snapshot: interrupted before the export is read', async () => {
      const ac = new AbortController();
      const reason = signalInterruption('SIGTERM');
      ac.abort(reason);
      await expect(images.snapshot(BASE, { signal: ac.signal })).rejects.toBe(reason);
    }, T);
  });
});
