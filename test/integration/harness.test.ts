// Exercises the integration-test harnesses in test/support against the real services.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Docker from 'dockerode';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGitRepo, makePerlAppRepo, PERL_APP_FILES } from '../support/git-repo.js';
import { httpGet, nginxPorts, startNginx } from '../support/nginx.js';
import { AddrInUseError, freePort, freePorts, isPortFree, retryOnAddrInUse } from '../support/ports.js';
import { isAlive } from '../support/process.js';
import { startRegistry } from '../support/registry.js';
import { startSshd, type Sshd } from '../support/sshd.js';
import { tmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const { Client } = ssh2;
const BASE_IMAGE = 'deployer-base/busybox:latest';
const supportDir = join(import.meta.dirname, '..', 'support');

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function expectGone(pids: number[], port: number): Promise<void> {
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);
  expect(await isPortFree(port)).toBe(true);
}

describe('ports, wait, tmp', () => {
  it('freePorts hands out distinct bindable loopback ports', async () => {
    const ports = await freePorts(4);
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(await isPortFree(p)).toBe(true);
    expect(await freePort()).toBeGreaterThan(0);
  });

  it('retryOnAddrInUse retries on a taken port and passes other errors through', async () => {
    let calls = 0;
    const result = await retryOnAddrInUse(async ([port]) => {
      calls++;
      if (calls < 3) throw new AddrInUseError(port!, 'simulated');
      return port;
    });
    expect(calls).toBe(3);
    expect(typeof result).toBe('number');
    await expect(
      retryOnAddrInUse(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('waitFor returns the first truthy value and names what it waited for on timeout', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? `done ${n}` : undefined), { what: 'n to reach 3', intervalMs: 1 })).toBe('done 3');
    await expect(
      waitFor(
        () => {
          throw new Error('still starting');
        },
        { what: 'the flux capacitor', timeoutMs: 100, intervalMs: 10 },
      ),
    ).rejects.toThrow(/Timed out after 100ms waiting for the flux capacitor.*still starting/);
    // A hanging attempt does not hold up the timeout.
    const t0 = Date.now();
    await expect(waitFor(() => new Promise(() => {}), { what: 'a hung probe', timeoutMs: 100 })).rejects.toThrow(
      'a hung probe',
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('tmpDir creates a private dir and removes it on cleanup', async () => {
    const t = await tmpDir('harness-');
    await writeFile(join(t.path, 'x'), 'y');
    expect(existsSync(join(t.path, 'x'))).toBe(true);
    await t.cleanup();
    await t.cleanup();
    expect(existsSync(t.path)).toBe(false);
  });
});

describe('registry', () => {
  it('accepts a docker push and serves a pull (no auth)', async () => {
    const reg = await startRegistry();
    cleanups.push(reg.close);
    const dockerConfig = await tmpDir('harness-docker-config-'); // no credentials from ~/.docker
    cleanups.push(dockerConfig.cleanup);
    const docker = (args: string[]) => execa('docker', ['--config', dockerConfig.path, ...args]);

    expect((await httpGet(`${reg.url}/v2/`)).status).toBe(200);
    const ref = `${reg.host}/harness/busybox:t${process.pid}-${Date.now()}`;
    await docker(['tag', BASE_IMAGE, ref]);
    try {
      const push = await docker(['push', ref]);
      expect(push.stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
      const tags = JSON.parse((await httpGet(`${reg.url}/v2/harness/busybox/tags/list`)).body) as { tags: string[] };
      expect(tags.tags).toContain(ref.split(':').pop());
      await docker(['rmi', ref]);
      await docker(['pull', ref]);
      expect((await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout).toBe(
        (await docker(['image', 'inspect', '--format', '{{.Id}}', BASE_IMAGE])).stdout,
      );
    } finally {
      await docker(['rmi', ref]).catch(() => {});
    }

    const { pid, port, dir } = reg;
    await reg.close();
    await expectGone([pid], port);
    expect(existsSync(dir)).toBe(false);
  });

  it('requires htpasswd credentials when asked to', async () => {
    const reg = await startRegistry({ htpasswd: { user: 'deployer', password: 's3cret pass' } });
    cleanups.push(reg.close);
    expect((await httpGet(`${reg.url}/v2/`)).status).toBe(401);
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await httpGet(`${reg.url}/v2/`, { headers: basic('deployer', 's3cret pass') })).status).toBe(200);
    expect((await httpGet(`${reg.url}/v2/`, { headers: basic('deployer', 'wrong') })).status).toBe(401);
    expect(await readFile(join(reg.dir, 'htpasswd'), 'utf8')).toMatch(/^deployer:\$2y\$/);

    const docker = new Docker();
    const repo = `${reg.host}/harness/auth`;
    const tag = `t${process.pid}-${Date.now()}`;
    await docker.getImage(BASE_IMAGE).tag({ repo, tag });
    type Ev = { error?: string; aux?: { Digest?: string } };
    const push = async (authconfig?: object) => {
      const stream = await docker.getImage(`${repo}:${tag}`).push({ tag, ...(authconfig ? { authconfig } : {}) });
      return new Promise<Ev[]>((res, rej) => docker.modem.followProgress(stream, (err: Error | null, out: Ev[]) => (err ? rej(err) : res(out))));
    };
    try {
      const denied = await push();
      expect(denied.find((e) => e.error)?.error).toMatch(/no basic auth credentials/);
      const ok = await push({ username: 'deployer', password: 's3cret pass', serveraddress: reg.host });
      expect(ok.find((e) => e.error)).toBeUndefined();
      expect(ok.find((e) => e.aux?.Digest)?.aux?.Digest).toMatch(/^sha256:/);
    } finally {
      await docker.getImage(`${repo}:${tag}`).remove().catch(() => {});
    }
    const { pid, port } = reg;
    await reg.close();
    await expectGone([pid], port);
  });
});

describe('nginx', () => {
  it('serves, reloads a changed include, rejects bad configs, and stops master and workers', async () => {
    const nginx = await startNginx({
      httpConf: ([port]) => `
  server {
    listen 127.0.0.1:${port};
    location = /ok { return 200 "ok"; }
    include conf.d/backend.conf;
  }
  include conf.d/extra-*.conf;`,
      files: { 'conf.d/backend.conf': 'location = /which { return 200 "blue"; }\n' },
    });
    cleanups.push(nginx.close);
    const base = `http://127.0.0.1:${nginx.port}`;
    expect(nginx.nginxArgs).toEqual(['-p', `${nginx.prefix}/`, '-c', nginx.confPath]);
    const workers = nginx.workerPids();
    expect(workers).toHaveLength(2);

    const ok = await httpGet(`${base}/ok`);
    expect(ok).toMatchObject({ status: 200, body: 'ok' });
    expect(ok.headers['content-type']).toBe('text/plain');
    expect((await httpGet(`${base}/which`)).body).toBe('blue');
    expect(await readFile(nginx.accessLogPath, 'utf8')).toContain('GET /ok');

    // The include changes, reload picks it up, and every request afterwards sees it.
    await nginx.writeFile('conf.d/backend.conf', 'location = /which { return 200 "green"; }\n');
    expect(await nginx.test()).toMatchObject({ ok: true });
    await nginx.reload();
    for (let i = 0; i < 10; i++) expect((await httpGet(`${base}/which`)).body).toBe('green');
    const newWorkers = nginx.workerPids();
    expect(newWorkers).toHaveLength(2);
    for (const w of workers) expect(isAlive(w)).toBe(false);

    // A syntax error: -t says so, reload throws, the old config keeps serving.
    await nginx.writeFile('conf.d/backend.conf', 'location = /which { retrun 200 "red"; }\n');
    const t = await nginx.test();
    expect(t.ok).toBe(false);
    expect(t.output).toMatch(/unknown directive "retrun"/);
    await expect(nginx.reload()).rejects.toThrow(/unknown directive/);
    expect((await httpGet(`${base}/which`)).body).toBe('green');

    // An error that only shows when the master applies the config (a port in use) is reported too.
    const [busy] = await nginxPorts(1);
    const blocker = (await import('node:net')).createServer().listen(busy, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    try {
      await nginx.writeFile('conf.d/backend.conf', 'location = /which { return 200 "green"; }\n');
      await nginx.writeFile('conf.d/extra-busy.conf', `server { listen 127.0.0.1:${busy}; }\n`);
      expect(await nginx.test()).toMatchObject({ ok: true }); // -t does not bind
      await expect(nginx.reload()).rejects.toThrow(/Address already in use/);
      expect((await httpGet(`${base}/which`)).body).toBe('green');
    } finally {
      blocker.close();
    }

    const pids = [nginx.pid, ...nginx.workerPids()];
    const { prefix, port } = nginx;
    await nginx.close();
    await expectGone(pids, port!);
    expect(existsSync(prefix)).toBe(false);
  });

  it('fails fast with nginx -t output for a broken httpConf', async () => {
    await expect(startNginx({ httpConf: 'server { listen 127.0.0.1:1; bogus_directive on; }' })).rejects.toThrow(
      /nginx -t failed[\s\S]*unknown directive "bogus_directive"/,
    );
  });
});

describe('sshd', () => {
  function connect(
    sshd: Sshd,
    opts: { privateKey?: Buffer; passphrase?: string; hostVerifier: (key: Buffer) => boolean },
  ): Promise<InstanceType<typeof Client>> {
    return new Promise((resolve, reject) => {
      const c = new Client();
      c.once('ready', () => resolve(c));
      c.once('error', (err) => {
        c.end();
        reject(err);
      });
      c.connect({
        host: sshd.host,
        port: sshd.port,
        username: sshd.user,
        privateKey: opts.privateKey,
        ...(opts.passphrase !== undefined ? { passphrase: opts.passphrase } : {}),
        hostVerifier: opts.hostVerifier,
        readyTimeout: 10_000,
      });
    });
  }

  function exec(c: InstanceType<typeof Client>, cmd: string): Promise<{ code: number | null; stdout: string }> {
    return new Promise((resolve, reject) =>
      c.exec(cmd, (err, ch) => {
        if (err) return reject(err);
        let stdout = '';
        ch.on('data', (d: Buffer) => (stdout += d.toString()));
        ch.stderr.on('data', () => {});
        ch.on('close', (code: number | null) => resolve({ code, stdout }));
      }),
    );
  }

  it('runs a command over ssh2 with the pinned host key and refuses a wrong one', async () => {
    const sshd = await startSshd();
    cleanups.push(sshd.close);
    expect(sshd.user).toBe('root');
    expect(sshd.hostKeyPub).toMatch(/^ssh-ed25519 AAAA[\w+/=]+$/);
    expect(sshd.knownHostsLine).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyPub}`);
    const privateKey = await readFile(sshd.clientKeyPath);

    // Pin: the key the server presents must be exactly the generated host key.
    const seen: Buffer[] = [];
    const pinned = (key: Buffer) => {
      seen.push(key);
      return key.equals(Buffer.from(sshd.hostKeyPub.split(' ')[1]!, 'base64'));
    };
    const c = await connect(sshd, { privateKey, hostVerifier: pinned });
    expect(ssh2.utils.parseKey(seen[0]!)).toMatchObject({ type: 'ssh-ed25519' });
    expect(await exec(c, 'echo hi')).toEqual({ code: 0, stdout: 'hi\n' });
    // SetEnv SHLVL=1: the command shell is at level 2, so bash skips root's slow ~/.bashrc.
    expect((await exec(c, 'echo "$HOME $SHLVL"')).stdout).toBe(`${homedir()} 2\n`);

    // A session left open on purpose: close() must end it too (sshd children call setsid()).
    const sessionPids = sshd.process.tree().filter((p) => p !== sshd.pid);
    expect(sessionPids.length).toBeGreaterThan(0);

    // Another server's key is refused at the handshake.
    const other = await tmpDir('harness-otherkey-');
    cleanups.push(other.cleanup);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(other.path, 'k')]);
    const otherKey = Buffer.from((await readFile(join(other.path, 'k.pub'), 'utf8')).split(' ')[1]!, 'base64');
    await expect(connect(sshd, { privateKey, hostVerifier: (k) => k.equals(otherKey) })).rejects.toMatchObject({
      level: 'handshake',
      message: expect.stringMatching(/Host denied/),
    });
    // An unknown client key is refused by the server.
    await expect(
      connect(sshd, { privateKey: await readFile(join(other.path, 'k')), hostVerifier: sshd.hostVerifier }),
    ).rejects.toMatchObject({ level: 'client-authentication' });

    const { pid, port, dir } = sshd;
    await sshd.close();
    c.end();
    await expectGone([pid, ...sessionPids], port);
    expect(existsSync(dir)).toBe(false);
  });

  it('generates an encrypted client key on request', async () => {
    const sshd = await startSshd({ clientKeyPassphrase: 'correct horse' });
    cleanups.push(sshd.close);
    const privateKey = await readFile(sshd.clientKeyPath);
    expect(privateKey.toString()).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(() => new Client().connect({ host: sshd.host, port: sshd.port, username: sshd.user, privateKey, hostVerifier: sshd.hostVerifier })).toThrow(
      /no passphrase given/,
    );
    const c = await connect(sshd, { privateKey, passphrase: 'correct horse', hostVerifier: sshd.hostVerifier });
    expect((await exec(c, 'echo encrypted')).stdout).toBe('encrypted\n');
    c.end();
    const { pid, port } = sshd;
    await sshd.close();
    await expectGone([pid], port);
  });
});

describe('git repos', () => {
  it('commits files, modes, symlinks, removals and renames with a fixed identity', async () => {
    const repo = await makeGitRepo({
      'a.txt': 'a\n',
      'bin/run': { content: '#!/bin/sh\necho run\n', mode: 0o755 },
      'link': { symlink: 'a.txt' },
      'old/name.txt': 'renamed content that is long enough to be detected\n',
      'gone.txt': 'bye\n',
    });
    cleanups.push(repo.close);
    expect(repo.initialSha).toMatch(/^[0-9a-f]{40}$/);
    expect(await repo.head()).toBe(repo.initialSha);
    const tree = await repo.git(['ls-tree', '-r', 'HEAD']);
    expect(tree).toMatch(/^100755 blob \w+\tbin\/run$/m);
    expect(tree).toMatch(/^120000 blob \w+\tlink$/m);
    expect(await repo.git(['log', '-1', '--format=%an <%ae>|%cn <%ce>'])).toBe(
      'Deployer Test <deployer-test@example.invalid>|Deployer Test <deployer-test@example.invalid>',
    );

    const sha = await repo.commit('second', {
      rename: { 'old/name.txt': 'new/dir/name.txt' },
      remove: ['gone.txt'],
      write: { 'a.txt': 'a2\n', 'added.txt': 'new\n' },
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sha).not.toBe(repo.initialSha);
    expect(await repo.head()).toBe(sha);
    const diff = await repo.git(['diff', '--name-status', '-M', repo.initialSha, sha]);
    expect(diff.split('\n').sort()).toEqual(
      ['A\tadded.txt', 'D\tgone.txt', 'M\ta.txt', 'R100\told/name.txt\tnew/dir/name.txt'].sort(),
    );
    expect(await repo.git(['log', '--format=%s'])).toBe('second\ninitial commit');
    expect(await repo.git(['status', '--porcelain'])).toBe('');

    const dir = repo.dir;
    await repo.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('makes shas reproducible from the fixed identity and dates', async () => {
    const a = await makeGitRepo({ 'f.txt': 'same\n' });
    const b = await makeGitRepo({ 'f.txt': 'same\n' });
    cleanups.push(a.close, b.close);
    expect(a.initialSha).toBe(b.initialSha);
    expect(await a.commit('x', { write: { 'g.txt': '1' } })).toBe(await b.commit('x', { write: { 'g.txt': '1' } }));
  });

  it('makePerlAppRepo has the reference app layout', async () => {
    const repo = await makePerlAppRepo();
    cleanups.push(repo.close);
    const files = (await repo.git(['ls-files'])).split('\n').sort();
    expect(files).toEqual(
      [
        '.dockerignore',
        'Dockerfile',
        'README.md',
        'app.psgi',
        'cpanfile',
        'cpanfile.snapshot',
        'docs/index.md',
        'lib/WebApp.pm',
        'lib/WebApp/Controller.pm',
        'supervisor/supervisord.conf',
        't/00_compile.t',
      ].sort(),
    );
    expect(Object.keys(PERL_APP_FILES).sort()).toEqual(files);
    const sha = await repo.commit('code change', { write: { 'lib/WebApp/Controller.pm': '1;\n' } });
    expect(await repo.git(['diff', '--name-only', repo.initialSha, sha])).toBe('lib/WebApp/Controller.pm');
  });
});

describe('backstop', () => {
  // How the process that started the services ends without calling close().
  const endings = [
    { how: 'exits (exit handler)', code: 'process.exit(0);', signal: undefined },
    { how: 'is sent SIGTERM (signal handler)', code: "process.kill(process.pid, 'SIGTERM');", signal: 'SIGTERM' },
    { how: 'is SIGKILLed (parent-death signal)', code: "process.kill(process.pid, 'SIGKILL');", signal: 'SIGKILL' },
  ];
  it.each(endings)('services die when the test process $how', async ({ code: ending, signal }) => {
    const work = await tmpDir('harness-backstop-');
    cleanups.push(work.cleanup);
    const script = join(work.path, 'leak.mts'); // .mts: ESM (top-level await) outside any package.json
    const url = (f: string) => pathToFileURL(join(supportDir, f)).href;
    await writeFile(
      script,
      `import { startNginx } from ${JSON.stringify(url('nginx.js'))};
import { startSshd } from ${JSON.stringify(url('sshd.js'))};
import { startRegistry } from ${JSON.stringify(url('registry.js'))};
const nginx = await startNginx({ httpConf: ([p]) => \`server { listen 127.0.0.1:\${p}; location / { return 200 "ok"; } }\` });
const sshd = await startSshd();
const reg = await startRegistry();
console.log(JSON.stringify({ pids: [nginx.pid, ...nginx.workerPids(), sshd.pid, reg.pid], ports: [nginx.port, sshd.port, reg.port], dirs: [nginx.prefix, sshd.dir, reg.dir] }));
${ending}
`,
    );
    const r = await execa('node', ['--import', 'tsx', script], { cwd: join(supportDir, '..', '..'), reject: false });
    const leaked = JSON.parse(r.stdout) as { pids: number[]; ports: number[]; dirs: string[] };
    // No handler runs on SIGKILL, so the temp dirs stay; remove them here.
    cleanups.push(() => Promise.all(leaked.dirs.map((d) => rm(d, { recursive: true, force: true }))));
    expect(r.signal).toBe(signal);
    expect(leaked.pids).toHaveLength(5);
    await waitFor(() => leaked.pids.every((p) => !isAlive(p)), { what: 'leaked services to die', timeoutMs: 10_000 });
    for (const p of leaked.ports) expect(await isPortFree(p)).toBe(true);
    if (signal !== 'SIGKILL') for (const d of leaked.dirs) expect(existsSync(d), d).toBe(false);
  });
});
