import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse.js';
import type { Config } from '../../src/core/config/schema.js';
import { planPreviewStep } from '../../src/core/nginx/preview.js';
import { makePlan } from '../../src/core/plan.js';
import { execute } from '../../src/exec/executor.js';
import { handlers } from '../../src/exec/handlers/index.js';
import type { Ports } from '../../src/ports/index.js';
import type { EnvironmentInfo } from '../../src/ports/scheduler.js';
import { gatherSwitchFacts, planSwitch } from '../../src/planners/switch.js';
import { httpGet } from '../support/http.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { env, SHA_A, SHA_B, SHA_C } from '../support/switch-fakes.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { nginxArgv, snapshot, startLbNginx } from '../support/switch-world.js';
import { revisionBackends } from '../support/revision-backends.js';
import { switchPorts } from '../support/switch-ports.js';

// The preview file (one server block per environment, a 404 for every other name under the preview
// domain) applied to a real nginx through the step deploy/destroy/gc append; and bad backends from
// a scheduler never reaching a file.

const backends = revisionBackends();
const revisionServer = (revision: string) => backends.start(revision);

let tmp: TmpDir;
let nginx: Nginx;
let envs: EnvironmentInfo[] = [];

const portsFor = (config: Config): Ports => switchPorts(config, () => envs);

function configFor(n: Nginx, listen: string): Config {
  return parseConfigText(`
app: preview-app
images: { full: t/full, delta: t/delta }
build: { appDir: /app }
preview: { domain: preview.test, listen: "${listen}" }
switch:
  upstream: backend
  file: ${n.prefix}/conf.d/backend.conf
  previewFile: ${n.prefix}/conf.d/preview.conf
  test: ${JSON.stringify(nginxArgv(n, '-t'))}
  reload: ${JSON.stringify(nginxArgv(n, '-s', 'reload'))}
  verify: { url: "http://127.0.0.1:${n.port}/", timeoutSeconds: 10 }
  stateDir: ${tmp.path}/state
`, 'deployer.yaml');
}

const run = (config: Config, step: NonNullable<ReturnType<typeof planPreviewStep>>) =>
  execute(makePlan('deploy', 'test', {}, [step]), handlers, { config, ports: portsFor(config), signal: new AbortController().signal });

beforeAll(async () => {
  tmp = await tmpDir('deployer-switch-preview-');
  nginx = await startNginx({
    ports: 2,
    httpConf: ([port, previewPort]) => `  include conf.d/backend.conf;
  include conf.d/preview.conf;
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }
  server { listen 127.0.0.1:${previewPort}; return 421; }
`,
    files: { 'conf.d/backend.conf': 'upstream backend { server 127.0.0.1:9; }\n', 'conf.d/preview.conf': '' },
  });
  envs = [env(SHA_A, [await revisionServer(SHA_A)]), env(SHA_B, [await revisionServer(SHA_B), await revisionServer(SHA_B)])];
});

afterAll(async () => {
  await nginx?.close();
  backends.close();
  await tmp?.cleanup();
});

describe('preview hostnames through a real nginx', () => {
  const previewGet = (host: string) => httpGet(`http://127.0.0.1:${nginx.ports[1]}/`, { headers: { Host: host } });

  it('each <sha12>.<domain> serves its environment; any other name under the domain is a 404', async () => {
    const config = configFor(nginx, `127.0.0.1:${nginx.ports[1]}`);
    const step = planPreviewStep(config, { add: [SHA_B] }, 'tester')!;
    await run(config, step);
    expect((await previewGet(`${SHA_A.slice(0, 12)}.preview.test`)).headers['x-revision']).toBe(SHA_A);
    for (let i = 0; i < 4; i++) expect((await previewGet(`${SHA_B.slice(0, 12)}.preview.test`)).headers['x-revision']).toBe(SHA_B);
    expect((await previewGet(`${SHA_C.slice(0, 12)}.preview.test`)).status).toBe(404);
    expect((await previewGet('preview.test')).status).toBe(404);
    // Production is untouched by preview updates.
    expect(await readFile(join(nginx.prefix, 'conf.d', 'backend.conf'), 'utf8')).toBe('upstream backend { server 127.0.0.1:9; }\n');
    expect((await readdir(join(nginx.prefix, 'conf.d'))).sort()).toEqual(['backend.conf', 'preview.conf']);
    // The lock was taken and released.
    expect(await readdir(join(tmp.path, 'state', 'preview-app'))).toEqual([]);
  });

  it('removing an environment makes its hostname a 404 (not production, not another environment)', async () => {
    const config = configFor(nginx, `127.0.0.1:${nginx.ports[1]}`);
    await run(config, planPreviewStep(config, { remove: [SHA_A] })!);
    expect((await previewGet(`${SHA_A.slice(0, 12)}.preview.test`)).status).toBe(404);
    expect((await previewGet(`${SHA_B.slice(0, 12)}.preview.test`)).headers['x-revision']).toBe(SHA_B);
  });

  it('an environment with a bad backend never reaches the file', async () => {
    const config = configFor(nginx, `127.0.0.1:${nginx.ports[1]}`);
    const before = await snapshot(join(nginx.prefix, 'conf.d'));
    const saved = envs;
    envs = [...envs, { ...env(SHA_C, [1]), backends: [{ host: '127.0.0.1;\n}\nserver { listen 1; }', port: 80 }] }];
    try {
      await expect(run(config, planPreviewStep(config, { add: [SHA_C] })!)).rejects.toMatchObject({ exitCode: 4, code: 'backend.invalid' });
    } finally {
      envs = saved;
    }
    expect(await snapshot(join(nginx.prefix, 'conf.d'))).toEqual(before);
  });
});

describe('bad backends never reach the upstream file', () => {
  it.each([
    ['a semicolon', '127.0.0.1; include /etc/passwd'],
    ['a closing brace', '127.0.0.1}'],
    ['a newline', '127.0.0.1\nserver 10.0.0.1:80'],
    ['a comment', '127.0.0.1#'],
  ])('a host with %s is refused (exit 4) before anything is written', async (_what, host) => {
    const lb = await startLbNginx();
    try {
      const config = configFor(lb, '8080');
      const before = await snapshot(join(lb.prefix, 'conf.d'));
      envs = [{ ...env(SHA_C, [1]), backends: [{ host, port: 8080 }] }];
      const ports = portsFor(config);
      const facts = await gatherSwitchFacts(ports, config, { action: 'switch', revision: SHA_C, who: 't' });
      expect(() => planSwitch(config, facts, { force: true, reason: 'test' })).toThrow(expect.objectContaining({ exitCode: 4, code: 'backend.invalid' }));
      expect(await snapshot(join(lb.prefix, 'conf.d'))).toEqual(before);
      await ports.lb.closeAll();
    } finally {
      await lb.close();
    }
  });

  it('a port out of range is refused too', async () => {
    const config = configFor(nginx, '8080');
    envs = [{ ...env(SHA_C, [1]), backends: [{ host: '127.0.0.1', port: 65536 }] }];
    const facts = await gatherSwitchFacts(portsFor(config), config, { action: 'switch', revision: SHA_C, who: 't' });
    expect(() => planSwitch(config, facts, { force: true, reason: 'test' })).toThrow(expect.objectContaining({ exitCode: 4, details: ['backend 1: port 65536 is out of range 1-65535'] }));
  });
});
