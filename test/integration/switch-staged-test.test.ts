import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/clock.js';
import { nodeHttp } from '../../src/adapters/http.js';
import { lbHosts } from '../../src/adapters/lb/hosts.js';
import { switchState } from '../../src/adapters/state/index.js';
import { parseConfigText } from '../../src/core/config/parse.js';
import type { Config } from '../../src/core/config/schema.js';
import { execute } from '../../src/exec/executor.js';
import { handlers } from '../../src/exec/handlers/index.js';
import type { Ports } from '../../src/ports/index.js';
import { silentLog } from '../../src/ports/log.js';
import type { EnvironmentInfo } from '../../src/ports/scheduler.js';
import { gatherSwitchFacts, planSwitch } from '../../src/planners/switch.js';
import { httpGet } from '../support/http.js';
import { startNginx, type Nginx } from '../support/nginx.js';
import { env, SHA_A, SHA_B } from '../support/switch-fakes.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';
import { nginxArgv, snapshot } from '../support/switch-world.js';
import { revisionBackends } from '../support/revision-backends.js';

// The staged upstream file is tested by a real `nginx -t` against a shadow of the configuration,
// here Debian's layout: the file sits in conf.d/ and is reached only through `include conf.d/*.conf`.

const backends = revisionBackends();
const revisionServer = (revision: string) => backends.start(revision);

let tmp: TmpDir;
let nginx: Nginx;
let envs: EnvironmentInfo[];

function ports(config: Config): Ports {
  const lb = lbHosts({ switchConfig: config.switch, resolvePath: (x) => x });
  return {
    lb,
    ...switchState({ config, lb, clock: systemClock }),
    scheduler: { list: async () => envs },
    http: nodeHttp,
    clock: systemClock,
    log: silentLog,
    docker: { imageInfo: async () => ({ id: 'sha256:x' }) },
    records: { get: async (id: string) => ({ imageId: id, image: 'x', revision: 'x', passedAt: 't', by: 't', junit: { tests: 1, failures: 0, errors: 0, skipped: 0 } }) },
    git: { resolve: async (r: string) => r },
  } as unknown as Ports;
}

const config = (upstream: string) => parseConfigText(`
app: staged-app
images: { full: t/full, delta: t/delta }
build: { appDir: /app }
switch:
  upstream: ${upstream}
  file: ${nginx.prefix}/conf.d/backend.conf
  test: ${JSON.stringify(nginxArgv(nginx, '-t'))}
  reload: ${JSON.stringify(nginxArgv(nginx, '-s', 'reload'))}
  verify: { url: "http://127.0.0.1:${nginx.port}/", timeoutSeconds: 10 }
  stateDir: ${tmp.path}/state
`, 'deployer.yaml');

async function switchTo(c: Config, rev: string) {
  const p = ports(c);
  const facts = await gatherSwitchFacts(p, c, { action: 'switch', revision: rev, who: 't' });
  const plan = planSwitch(c, facts, { force: false });
  return execute(plan, handlers, { config: c, ports: p, signal: new AbortController().signal });
}

beforeAll(async () => {
  tmp = await tmpDir('deployer-staged-test-');
  nginx = await startNginx({
    httpConf: ([port]) => `  include conf.d/*.conf;\n  server { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; } }\n`,
    files: {
      'conf.d/backend.conf': 'upstream backend { server 127.0.0.1:9; }\n',
      'conf.d/other.conf': 'upstream other { server 127.0.0.1:9; }\n',
    },
  });
  envs = [env(SHA_A, [await revisionServer(SHA_A)]), env(SHA_B, [await revisionServer(SHA_B)])];
});

afterAll(async () => {
  await nginx?.close();
  backends.close();
  await tmp?.cleanup();
});

describe('testing the staged file with a stock nginx', () => {
  it('a file reached only through `include conf.d/*.conf` is switched, and the glob never sees the staged file', async () => {
    await switchTo(config('backend'), SHA_A);
    expect((await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision']).toBe(SHA_A);
    await switchTo(config('backend'), SHA_B);
    expect((await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision']).toBe(SHA_B);
    expect((await readdir(join(nginx.prefix, 'conf.d'))).sort()).toEqual(['backend.conf', 'other.conf']);
    expect((await readdir(nginx.prefix)).filter((f) => f.includes('deployer'))).toEqual([]);
  });

  it('the test really reads the staged file: a staged upstream that collides with another file fails nginx -t, nothing changes', async () => {
    const before = await snapshot(join(nginx.prefix, 'conf.d'));
    // `upstream other` already exists in conf.d/other.conf: the staged file would duplicate it.
    await expect(switchTo(config('other'), SHA_A)).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('local failed the test; nothing went live'),
      details: expect.arrayContaining([expect.stringMatching(/duplicate upstream "other"/)]),
    });
    expect(await snapshot(join(nginx.prefix, 'conf.d'))).toEqual(before);
    expect((await httpGet(`http://127.0.0.1:${nginx.port}/`)).headers['x-revision']).toBe(SHA_B);
  });
});
