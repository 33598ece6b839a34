import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { ConfigError, PreconditionError, UsageError } from '../../../src/core/errors.js';
import { renderPlanText } from '../../../src/core/render-plan.js';
import type { TestStep } from '../../../src/core/steps/test.js';
import { gatherTestImageFacts, planTestImage, type TestImageOptions } from '../../../src/planners/test-image.js';
import type { ImageInfo } from '../../../src/ports/docker.js';

const SHA = '3f2a9c1e0b7d11223344556677889900aabbccdd';
const RUN = '0b5e6f7a-1111-4222-8333-944445555666';

const YAML = `
app: web-app
registry: { host: 'reg.local:5000' }
images: { full: web-app-full, delta: web-app }
build: { appDir: /opt/app }
test:
  command: ./t/run.sh
  env: { APP_ENV: test }
  junit: /opt/app/junit.xml
  setup: [apk add mysql, [make, fixtures]]
  services:
    - { name: echo, image: 'deployer-base/busybox:latest', command: [nc, -ll, -p, '7000', -e, cat], ready: { tcp: 7000 } }
    - { name: db, image: 'mysql:8', env: { MYSQL_ALLOW_EMPTY_PASSWORD: 1 }, ready: { command: 'mysqladmin ping' } }
  smoke:
    - { path: /health, status: 200, body: ok }
  timeoutSeconds: 600
deploy: { port: 8000 }
`;

const config = parseConfigText(YAML, 'deployer.yaml');
const opts: TestImageOptions = {
  runId: RUN,
  junitFile: '/ws/junit_output.xml',
  junitDisplay: 'junit_output.xml',
  recordsDir: '.deployer',
  by: 'jenkins@ci',
  configFile: 'deployer.yaml',
};
const image = (id: string, exposed: string[] = []): ImageInfo => ({
  id, repoTags: [], repoDigests: [], created: new Date(0), labels: {}, layers: 2,
  config: { ExposedPorts: Object.fromEntries(exposed.map((p) => [p, {}])) },
});

function fakes(images: Record<string, ImageInfo>, resolve: Record<string, string> = {}, registry: { host?: string; has?: Record<string, string> } = {}) {
  const calls: string[] = [];
  return {
    calls,
    ports: {
      git: { resolve: async (rev: string) => { calls.push(`git ${rev}`); if (!resolve[rev]) throw new UsageError(`unknown revision ${rev}`); return resolve[rev]; } },
      docker: { imageInfo: async (ref: string) => { calls.push(`inspect ${ref}`); return images[ref]; } },
      images: {
        registry: registry.host,
        remote: async (ref: string) => {
          calls.push(`remote ${ref}`);
          const id = registry.has?.[ref];
          return id ? { ref, digest: 'sha256:m', id, created: undefined, labels: {}, layers: 1, config: { ExposedPorts: { '8000/tcp': {} } } } : undefined;
        },
      },
    },
  };
}

describe('gatherTestImageFacts', () => {
  it('takes a full sha without git and prefers the delta image', async () => {
    const f = fakes({ [`reg.local:5000/web-app:${SHA}`]: image('sha256:d'), [`reg.local:5000/web-app-full:${SHA}`]: image('sha256:f') });
    const facts = await gatherTestImageFacts(f.ports, config, SHA.toUpperCase());
    expect(facts).toEqual({
      revision: SHA,
      refs: { delta: `reg.local:5000/web-app:${SHA}`, full: `reg.local:5000/web-app-full:${SHA}` },
      local: { ref: `reg.local:5000/web-app:${SHA}`, id: 'sha256:d', exposedTcpPorts: [] },
    });
    expect(f.calls).toEqual([`inspect reg.local:5000/web-app:${SHA}`]);
  });

  it('resolves anything else through git, and falls back to the full image', async () => {
    const f = fakes({ [`reg.local:5000/web-app-full:${SHA}`]: image('sha256:f', ['8000/tcp', '22/tcp']) }, { HEAD: SHA });
    const facts = await gatherTestImageFacts(f.ports, config, 'HEAD');
    expect(facts.local).toEqual({ ref: `reg.local:5000/web-app-full:${SHA}`, id: 'sha256:f', exposedTcpPorts: [8000, 22] });
    expect(f.calls).toEqual(['git HEAD', `inspect reg.local:5000/web-app:${SHA}`, `inspect reg.local:5000/web-app-full:${SHA}`]);
    await expect(gatherTestImageFacts(f.ports, config, 'nope')).rejects.toBeInstanceOf(UsageError);
  });

  it('with a registry, tests the digest the tag names there (read-only), pulled when the engine lacks those bytes', async () => {
    const f = fakes({}, {}, { host: 'reg.local:5000', has: { [`reg.local:5000/web-app-full:${SHA}`]: 'sha256:r' } });
    const facts = await gatherTestImageFacts(f.ports, config, SHA);
    expect(facts).toMatchObject({ registry: 'reg.local:5000', remote: { ref: 'reg.local:5000/web-app-full@sha256:m', id: 'sha256:r', exposedTcpPorts: [8000], digest: 'sha256:m', tag: `reg.local:5000/web-app-full:${SHA}` } });
    expect(facts.local).toBeUndefined();
    expect(f.calls.filter((c) => c.startsWith('remote'))).toEqual([`remote reg.local:5000/web-app:${SHA}`, `remote reg.local:5000/web-app-full:${SHA}`]);
    const none = await gatherTestImageFacts(fakes({}).ports, config, SHA);
    expect(none).toEqual({ revision: SHA, refs: none.refs });
  });

  it('with a registry, takes the pinned bytes from the engine when it has them; a local tag with other bytes is not tested', async () => {
    const pinned = 'reg.local:5000/web-app@sha256:m';
    const f = fakes({ [pinned]: image('sha256:r'), [`reg.local:5000/web-app:${SHA}`]: image('sha256:rebuilt') }, {}, { host: 'reg.local:5000', has: { [`reg.local:5000/web-app:${SHA}`]: 'sha256:r' } });
    const facts = await gatherTestImageFacts(f.ports, config, SHA);
    expect(facts.local).toMatchObject({ ref: pinned, id: 'sha256:r', digest: 'sha256:m' });
    const plan = planTestImage(config, config.test!, facts, opts);
    expect(plan.facts).toMatchObject({ image: pinned, digest: 'sha256:m', pull: false });
    expect(plan.steps.at(-1)).toMatchObject({ kind: 'test.write-report', digest: 'sha256:m', repository: 'reg.local:5000/web-app', suite: './t/run.sh' });
  });
});

describe('planTestImage', () => {
  const facts = { revision: SHA, refs: { delta: `reg.local:5000/web-app:${SHA}`, full: `reg.local:5000/web-app-full:${SHA}` }, local: { ref: `reg.local:5000/web-app:${SHA}`, id: 'sha256:d', exposedTcpPorts: [] } };

  it('names the image, the commands, the sidecars and the checks up front', () => {
    const plan = planTestImage(config, config.test!, facts, opts);
    const steps = plan.steps as TestStep[];
    expect(steps.map((s) => s.kind)).toEqual([
      'test.start-services', 'test.start-container', 'test.run-setup', 'test.run-setup', 'test.run-suite', 'test.copy-junit', 'test.smoke', 'test.write-report',
    ]);
    const base = 'web-app-test-3f2a9c1e0b7d-0b5e6f7a';
    const run = { runId: RUN, revision: SHA, image: facts.local.ref, junitFile: '/ws/junit_output.xml', timeoutSeconds: 600, labels: { 'deployer.run': RUN, 'deployer.purpose': 'test-image', 'deployer.tested-revision': SHA, 'deployer.app': '', 'deployer.revision': '' } };
    for (const s of steps) expect(s.run).toEqual(run);
    expect(steps[0]).toMatchObject({
      network: base,
      readyTimeoutSeconds: 120,
      services: [
        { name: 'echo', container: `${base}-echo`, image: 'deployer-base/busybox:latest', command: ['nc', '-ll', '-p', '7000', '-e', 'cat'], ready: { tcp: 7000 }, env: {} },
        { name: 'db', container: `${base}-db`, image: 'mysql:8', env: { MYSQL_ALLOW_EMPTY_PASSWORD: '1' }, ready: { command: ['/bin/sh', '-c', 'mysqladmin ping'], display: 'mysqladmin ping' } },
      ],
    });
    expect(steps[1]).toMatchObject({ container: base, network: base, via: 'docker', image: facts.local.ref });
    expect(steps[2]).toMatchObject({ command: { argv: ['/bin/sh', '-c', 'apk add mysql'], workingDir: '/opt/app', env: { APP_ENV: 'test' }, timeoutSeconds: 600 } });
    expect(steps[3]).toMatchObject({ command: { argv: ['make', 'fixtures'], display: 'make fixtures' } });
    expect(steps[4]).toMatchObject({ command: { argv: ['/bin/sh', '-c', './t/run.sh'], display: './t/run.sh', workingDir: '/opt/app', env: { APP_ENV: 'test' } } });
    expect(steps[5]).toMatchObject({ path: '/opt/app/junit.xml' });
    expect(steps[6]).toMatchObject({ container: `${base}-smoke`, port: 8000, network: base, env: { DEPLOYER_REVISION: SHA }, checks: [{ path: '/health', status: 200, body: 'ok' }] });
    expect(steps[7]).toMatchObject({ by: 'jenkins@ci' });

    expect(renderPlanText(plan)).toBe(`deployer test-image 3f2a9c1e0b7d  (reg.local:5000/web-app:${SHA})
  + start 2 sidecars (echo, db) on network ${base}
      echo: deployer-base/busybox:latest nc -ll -p 7000 -e cat  ready: tcp 7000
      db: mysql:8  ready: mysqladmin ping
  + start test container ${base} from reg.local:5000/web-app:${SHA}
      its command replaced by an idle loop; commands run through docker exec
  > setup 1/2: apk add mysql
  > setup 2/2: make fixtures
  > run tests: ./t/run.sh  (in /opt/app, timeout 600s)
      env APP_ENV=test
  > copy /opt/app/junit.xml out of the test container
  > smoke: run reg.local:5000/web-app:${SHA} with its own command, port 8000 on 127.0.0.1, 1 check
      GET /health → 200, body contains "ok"
  ~ write JUnit report junit_output.xml; on a pass, record reg.local:5000/web-app:${SHA} as tested in .deployer
  note: every container and network of this run is labelled deployer.run=${RUN} and removed when it ends (pass, fail, timeout or interrupt)
Plan: 8 steps. Nothing has been changed.`);
    expect(plan.facts).toMatchObject({ revision: SHA, imageId: 'sha256:d', pull: false, runId: RUN, command: './t/run.sh', setup: ['apk add mysql', 'make fixtures'], junit: { from: '/opt/app/junit.xml', to: '/ws/junit_output.xml' } });
  });

  it('plans the least for the least config: no network, no copy, no smoke', () => {
    const c = parseConfigText('app: a\nimages: { full: a-full, delta: a }\nbuild: { appDir: /app }\ntest: { command: [prove, -l] }\n', 'x.yaml');
    const plan = planTestImage(c, c.test!, { ...facts, local: { ...facts.local, ref: `a:${SHA}` } }, opts);
    expect(plan.steps.map((s) => s.kind)).toEqual(['test.start-container', 'test.run-suite', 'test.write-report']);
    expect(plan.steps[0]).not.toHaveProperty('network');
    expect(plan.steps[1]).toMatchObject({ command: { argv: ['prove', '-l'], timeoutSeconds: 1800 } });
  });

  it('with exec.via ssh the container runs its own command and the step names port, user and host key', () => {
    const c = parseConfigText(`${YAML}exec: { via: ssh, ssh: { port: 2222, user: app, keyFile: ./id } }\n`, 'deployer.yaml');
    const plan = planTestImage(c, c.test!, facts, opts);
    const start = plan.steps.find((s) => s.kind === 'test.start-container');
    expect(start).toMatchObject({ via: 'ssh', ssh: { port: 2222, user: 'app', hostKeyPath: '/etc/ssh/ssh_host_ed25519_key.pub', readyTimeoutSeconds: 120 } });
    expect(start?.detail).toEqual(['its own command (sshd); commands run over ssh as app to port 2222 published on 127.0.0.1, host key pinned from /etc/ssh/ssh_host_ed25519_key.pub']);
    expect(planTestImage(config, config.test!, facts, opts).steps.find((s) => s.kind === 'test.start-container')).not.toHaveProperty('ssh');
  });

  it('pulls an image that only the registry has, and refuses (exit 4) when there is none', () => {
    const remote = { revision: SHA, refs: facts.refs, registry: 'reg.local:5000', remote: { ref: facts.refs.full, id: 'sha256:r', exposedTcpPorts: [] } };
    const plan = planTestImage(config, config.test!, remote, opts);
    expect(plan.steps[0]).toMatchObject({ kind: 'test.pull', title: `pull ${facts.refs.full}`, ref: facts.refs.full, imageId: 'sha256:r' });
    expect(plan.steps[1]).toMatchObject({ run: { image: facts.refs.full } });
    expect(plan.subject).toBe(`test-image 3f2a9c1e0b7d  (${facts.refs.full}, to be pulled from reg.local:5000)`);
    const none = { revision: SHA, refs: facts.refs, registry: 'reg.local:5000' };
    expect(() => planTestImage(config, config.test!, none, opts)).toThrow(PreconditionError);
    expect(() => planTestImage(config, config.test!, none, opts)).toThrow(/neither reg.local:5000\/web-app:3f2a.* nor .* is on the Docker engine or in the registry reg.local:5000/);
  });

  it("takes the smoke port from deploy.port, else the image's only exposed port", () => {
    const noDeploy = parseConfigText(YAML.replace('deploy: { port: 8000 }', ''), 'deployer.yaml');
    const one = planTestImage(noDeploy, noDeploy.test!, { ...facts, local: { ...facts.local, exposedTcpPorts: [9000] } }, opts);
    expect(one.steps.find((s) => s.kind === 'test.smoke')).toMatchObject({ port: 9000 });
    expect(() => planTestImage(noDeploy, noDeploy.test!, { ...facts, local: { ...facts.local, exposedTcpPorts: [22, 8000] } }, opts)).toThrow(ConfigError);
  });
});
