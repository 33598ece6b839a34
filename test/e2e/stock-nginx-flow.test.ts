import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { appContainers, DEPLOY_TEST_LABEL, dockerDeployConfig, removeAppContainers, removeImages } from '../support/deploy-images.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';
import { httpGet } from '../support/http.js';
import { PROXY_TO_BACKEND, startStockNginx, stockSwitchYaml, type StockNginx } from '../support/stock-nginx.js';

// The whole flow on Debian's stock nginx layout, as a new user meets it: deploy (the preview file
// does not exist yet under conf.d/*.conf) → preview → switch → destroy, on the docker scheduler,
// with an app the other tests never saw: busybox httpd, whose `/` has no revision header; only
// /cgi-bin/rev (the switch.verify.url) sends it.

const APP = `e2e-stock-${process.pid}`;
const DELTA = `deployer-e2e/${APP}`;
const HTTPD_APP = `FROM deployer-base/busybox:latest
RUN mkdir -p /www/cgi-bin && echo 'home page' > /www/index.html && printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\nX-Revision: %%s\\\\r\\\\n\\\\r\\\\n%%s\\\\n" "$DEPLOYER_REVISION" "$DEPLOYER_REVISION"\\n' > /www/cgi-bin/rev && chmod +x /www/cgi-bin/rev
CMD ["/bin/sh", "-c", "exec httpd -f -p 0.0.0.0:\${PORT:-8000} -h /www"]
`;

let repo: GitRepo;
let dir: string;
let nginx: StockNginx;
let revs: string[] = [];

const cli = (...args: string[]) => runCli(['--config', join(dir, 'deployer.yaml'), ...args], { cwd: dir, timeoutMs: 90_000 });

beforeAll(async () => {
  repo = await makeGitRepo({ 'README.md': 'app\n' });
  revs = [repo.initialSha, await repo.commit('r1', { write: { 'f1.txt': '1\n' } })];
  for (const r of revs) {
    await execa('docker', ['build', '-q', '--label', `${DEPLOY_TEST_LABEL}=1`, '--label', `deployer.test-revision=${r}`, '-t', `${DELTA}:${r}`, '-'], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, input: HTTPD_APP });
  }
  // Production already runs: conf.d/backend.conf exists (nothing listens there yet); no preview file.
  nginx = await startStockNginx({ confD: { 'backend.conf': 'upstream backend {\n    server 127.0.0.1:9;\n}\n' }, site: PROXY_TO_BACKEND });
  dir = await mkdtemp(join(tmpdir(), 'deployer-e2e-stock-'));
  await writeFile(join(dir, 'deployer.yaml'), [
    ...dockerDeployConfig(APP, DELTA, repo.dir, 30),
    ...stockSwitchYaml(nginx, { stateDir: join(dir, 'state'), verifyPath: '/cgi-bin/rev', timeoutSeconds: 15 }),
  ].join('\n'));
}, 120_000);

afterAll(async () => {
  await removeAppContainers(APP);
  await removeImages(...revs.map((r) => `${DELTA}:${r}`));
  await nginx?.close();
  await repo?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the flow on Debian's stock nginx layout", () => {
  it('deploy → preview → switch → destroy', async () => {
    const [a, b] = revs as [string, string];
    const viaPreview = (rev: string) => httpGet(`http://127.0.0.1:${nginx.previewPort}/cgi-bin/rev`, { headers: { Host: `${rev.slice(0, 12)}.preview.test` } });

    for (const r of [a, b]) {
      const d = await cli('deploy', r);
      expect(d.exitCode, `${d.stdout}\n${d.stderr}`).toBe(0);
      expect(d.stdout).toContain(`preview: http://${r.slice(0, 12)}.preview.test:${nginx.previewPort}/`);
      expect((await viaPreview(r)).headers['x-revision']).toBe(r);
    }
    expect(await nginx.ls('conf.d')).toEqual(['app-preview.conf', 'backend.conf']);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { environments: { revision: string; previewUrl: string | null }[] };
    expect(status.environments.every((e) => e.previewUrl !== null)).toBe(true);

    const s = await cli('switch', b, '--yes', '--force', '--reason', 'e2e: untested fixture app');
    expect(s.exitCode, `${s.stdout}\n${s.stderr}`).toBe(0);
    expect((await httpGet(`http://127.0.0.1:${nginx.prodPort}/cgi-bin/rev`)).headers['x-revision']).toBe(b);
    expect(await readFile(nginx.confD('backend.conf'), 'utf8')).toContain(`# revision ${b}`);

    const gone = await cli('destroy', a);
    expect(gone.exitCode, `${gone.stdout}\n${gone.stderr}`).toBe(0);
    expect((await viaPreview(a)).status).toBe(404);
    expect((await viaPreview(b)).headers['x-revision']).toBe(b);
    expect((await appContainers(APP)).every((n) => n.includes(b.slice(0, 12)))).toBe(true);
    // Production still serves b; nothing of deployer's is left in the tree.
    expect((await httpGet(`http://127.0.0.1:${nginx.prodPort}/cgi-bin/rev`)).headers['x-revision']).toBe(b);
    expect((await nginx.ls('conf.d')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 240_000);
});
