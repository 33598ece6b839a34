import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/core/config/parse.js';
import type { Config } from '../../src/core/config/schema.js';
import { planPreviewStep } from '../../src/core/nginx/preview.js';
import { renderUpstream } from '../../src/core/nginx/upstream.js';
import { makePlan } from '../../src/core/plan.js';
import { execute } from '../../src/exec/executor.js';
import { handlers } from '../../src/exec/handlers/index.js';
import type { EnvironmentInfo } from '../../src/ports/scheduler.js';
import { gatherSwitchFacts, planSwitch } from '../../src/planners/switch.js';
import { httpGet } from '../support/http.js';
import { revisionBackends } from '../support/revision-backends.js';
import { PROXY_TO_BACKEND, startStockNginx, stockSwitchYaml, type StockNginx } from '../support/stock-nginx.js';
import { env, SHA_A, SHA_B } from '../support/switch-fakes.js';
import { switchPorts } from '../support/switch-ports.js';
import { tmpDir, type TmpDir } from '../support/tmp.js';

// deployer on an nginx shaped like Debian's stock one (conf.d/*.conf, sites-enabled/*,
// modules-enabled/*.conf), with the upstream and preview files absent, present and edited by hand,
// and an app that sends its revision header only on /version.

const backends = revisionBackends();
let tmp: TmpDir;
let envs: EnvironmentInfo[] = [];
const open: StockNginx[] = [];

const configFor = (n: StockNginx, o: { verifyPath?: string; previewVerifyPath?: string } = {}): Config =>
  parseConfigText(['app: stock-app', 'images: { full: t/full, delta: t/delta }', 'build: { appDir: /app }', ...stockSwitchYaml(n, { stateDir: `${tmp.path}/state`, timeoutSeconds: 3, ...o })].join('\n'), 'deployer.yaml');

const run = (config: Config, steps: Parameters<typeof makePlan>[3]) =>
  execute(makePlan('deploy', 'test', {}, steps), handlers, { config, ports: switchPorts(config, () => envs), signal: new AbortController().signal });

async function stock(opts: Parameters<typeof startStockNginx>[0]): Promise<StockNginx> {
  const n = await startStockNginx(opts);
  open.push(n);
  return n;
}

const previewGet = (n: StockNginx, rev: string, path = '/version') => httpGet(`http://127.0.0.1:${n.previewPort}${path}`, { headers: { Host: `${rev.slice(0, 12)}.preview.test` } });

beforeAll(async () => {
  tmp = await tmpDir('deployer-stock-nginx-');
  // Each answers `/` with 200 and no X-Revision; only /version carries it.
  envs = [env(SHA_A, [await backends.start(SHA_A, { onlyOn: '/version' })]), env(SHA_B, [await backends.start(SHA_B, { onlyOn: '/version' })])];
});

afterAll(async () => {
  for (const n of open) await n.close();
  backends.close();
  await tmp?.cleanup();
});

describe("Debian's stock nginx layout", () => {
  it('first deploy: the preview file does not exist yet; conf.d/*.conf reaches it once written', async () => {
    const n = await stock({});
    expect(await n.ls('conf.d')).toEqual([]);
    const config = configFor(n, { verifyPath: '/version' });
    await run(config, [planPreviewStep(config, { add: [SHA_A] }, 'tester')!]);
    expect(await n.ls('conf.d')).toEqual(['app-preview.conf']);
    const r = await previewGet(n, SHA_A);
    expect(r.headers['x-revision']).toBe(SHA_A);
    // Nothing of deployer's is left beside the files (staged files, shadow configs).
    expect((await n.ls('.')).filter((f) => f.includes('deployer'))).toEqual([]);
  });

  it('the preview is verified on the path of switch.verify.url, and a wrong path says what was expected', async () => {
    const n = await stock({ confD: { 'app-preview.conf': '# written by hand before deployer\n' } });
    // verify.url is `/`, which this app answers without the header: the failure names URL, Host and header.
    const bad = configFor(n);
    const err = await run(bad, [planPreviewStep(bad, { add: [SHA_B] })!]).then(() => undefined, (e: unknown) => e as { message: string; details: string[]; hint: string });
    expect(err?.message).toMatch(/preview hostnames did not serve their environments; the previous preview file was restored/);
    expect(err!.details.join('\n')).toContain(`GET http://127.0.0.1:${n.previewPort}/ with Host ${SHA_B.slice(0, 12)}.preview.test should answer 2xx/3xx with header X-Revision naming ${SHA_B.slice(0, 12)}; last answered 200, X-Revision: (missing)`);
    expect(err!.details.join('\n')).toMatch(/environment b0b0b0b0b0b0 is deployed and running, but .* has no preview entry/);
    expect(err!.hint).toMatch(/preview\.verifyPath/);
    expect(await readFile(n.confD('app-preview.conf'), 'utf8')).toBe('# written by hand before deployer\n');
    // preview.verifyPath fixes it without touching switch.verify.
    const good = configFor(n, { previewVerifyPath: '/version' });
    await run(good, [planPreviewStep(good, { add: [SHA_B] })!]);
    expect((await previewGet(n, SHA_B)).headers['x-revision']).toBe(SHA_B);
  });

  it('the upstream file absent, then present, then edited by hand: switch plans and applies through the glob', async () => {
    const upstreamA = renderUpstream({ name: 'backend', app: 'stock-app', revision: SHA_A, backends: envs[0]!.backends });
    // Absent: the stock site cannot proxy to an upstream that does not exist, so only the plan is checked.
    const bare = await stock({});
    const plan = planSwitch(configFor(bare), await gatherSwitchFacts(switchPorts(configFor(bare), () => envs), configFor(bare), { action: 'switch', revision: SHA_A, who: 't' }), { force: true, reason: 'test' });
    expect(plan.steps.map((s) => s.kind)).toContain('nginx.switch-upstream');

    const n = await stock({ confD: { 'backend.conf': upstreamA }, site: PROXY_TO_BACKEND });
    const config = configFor(n, { verifyPath: '/version' });
    const ports = switchPorts(config, () => envs);
    const sw = async (rev: string) => {
      const p = planSwitch(config, await gatherSwitchFacts(ports, config, { action: 'switch', revision: rev, who: 't' }), { force: true, reason: 'test' });
      await execute(p, handlers, { config, ports, signal: new AbortController().signal });
      return p;
    };
    await sw(SHA_B);
    expect((await httpGet(`http://127.0.0.1:${n.prodPort}/version`)).headers['x-revision']).toBe(SHA_B);
    // Edited by hand (a comment and a keepalive line): the next switch shows it in the diff and replaces it.
    await writeFile(n.confD('backend.conf'), (await readFile(n.confD('backend.conf'), 'utf8')).replace('}', '    keepalive 4; # ops\n}'));
    await n.reload();
    const p = await sw(SHA_A);
    expect(p.steps.find((s) => s.kind === 'nginx.switch-upstream')!.detail!.join('\n')).toContain('-    keepalive 4; # ops');
    expect((await httpGet(`http://127.0.0.1:${n.prodPort}/version`)).headers['x-revision']).toBe(SHA_A);
    expect(await readFile(n.confD('backend.conf'), 'utf8')).toBe(upstreamA);
  });
});
