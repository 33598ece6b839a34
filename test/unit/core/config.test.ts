import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { problems } from '../../support/config-problems.js';

const ROOT = new URL('../../../', import.meta.url);


const REFERENCE = `
app: web-app
registry: { host: docker-registry-host:5000 }      # optional: without it images stay on the local engine
images: { full: web-app-from-scratch, delta: web-app }
build: { context: ., dockerfile: Dockerfile, appDir: /opt/Web-App/current }
changes:
  infra: [Dockerfile, supervisor/**]
  deps: [cpanfile, cpanfile.snapshot]
  ignore: [README.md, docs/**]
  depsDir: /opt/Web-App/shared
  depsInstall: cd /opt/Web-App/current && carton install --deployment --path /opt/Web-App/shared
test:
  command: ./script/test-in-docker.sh
  env: { WEB_APP_ENV: jenkins, PERL_CARTON_PATH: /opt/Web-App/shared }
  junit: /opt/Web-App/current/junit_output.xml
deploy:
  scheduler: docker            # or marathon
  instances: 3
  port: 8000
  healthCheck: { path: /, intervalSeconds: 2, timeoutSeconds: 2, gracePeriodSeconds: 30 }
  timeoutSeconds: 300
  marathon: { url: http://marathon.example.com:8080, appPrefix: /web-app, cpus: 0.5, mem: 512 }
preview: { domain: preview.example.com }
switch:
  upstream: backend
  file: /etc/nginx/conf.d/backend.conf
  previewFile: /etc/nginx/conf.d/preview.conf
  test: [nginx, -t]
  reload: [nginx, -s, reload]
  hosts: [local]               # or [{ ssh: root@lb01.example.com }, { ssh: root@lb02.example.com }]
  verify: { url: http://127.0.0.1/, header: X-Revision }
  keep: 3
`;

describe('config', () => {
  it('loads the reference file from the foundation issue unchanged', () => {
    const c = parseConfigText(REFERENCE, 'deployer.yaml');
    expect(c.app).toBe('web-app');
    expect(c.registry?.host).toBe('docker-registry-host:5000');
    expect(c.deploy?.healthCheck.gracePeriodSeconds).toBe(30);
    expect(c.switch?.hosts).toEqual(['local']);
    expect(c.changes.infra).toEqual(['Dockerfile', 'supervisor/**']);
  });

  it('loads the commented example config that documents every key', () => {
    const text = readFileSync(new URL('deployer.example.yaml', ROOT), 'utf8');
    const c = parseConfigText(text, 'deployer.example.yaml');
    expect(c.exec.via).toBe('docker');
    expect(c.preview?.listen).toBe('80');
  });

  it('fills defaults for omitted sections', () => {
    const c = parseConfigText('app: a\nimages: {full: f, delta: d}\nbuild: {appDir: /app}\n', 'x');
    expect(c.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', maxLayers: 120 });
    expect(c.changes.infra).toEqual(['Dockerfile', '.dockerignore']);
    expect(c.verify.volatile).toContain('/tmp/**');
  });

  it('MESOS_HTTP health checks need maxConsecutiveFailures ≥ 1 (Mesos reads 0 as kill at the first failure)', () => {
    const text = (protocol: string, failures: number) => [
      'app: a', 'images: {full: f, delta: d}', 'build: {appDir: /app}',
      `deploy: { scheduler: marathon, port: 8000, healthCheck: { maxConsecutiveFailures: ${failures} }, marathon: { url: "http://m:8080", appPrefix: /a, healthCheck: { protocol: ${protocol} } } }`,
    ].join('\n');
    expect(problems(text('MESOS_HTTP', 0))).toEqual([expect.stringMatching(/^deploy\/healthCheck\/maxConsecutiveFailures: should be at least 1 with deploy.marathon.healthCheck.protocol MESOS_HTTP/)]);
    expect(parseConfigText(text('HTTP', 0), 'x').deploy?.marathon).toMatchObject({ healthCheck: { protocol: 'HTTP' }, leaderWaitSeconds: 60 });
    expect(parseConfigText(text('MESOS_HTTP', 1), 'x').deploy?.marathon?.healthCheck.protocol).toBe('MESOS_HTTP');
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(problems('app: web-app\nimages: [\n')).toEqual([expect.stringMatching(/^line \d+, column \d+: /)]);
  });

  it('reports every problem at once with its path', () => {
    const p = problems([
      'app: Web_App',
      'colour: blue',
      'images: { full: web-app-from-scratch }',
      'build: { appDir: 3 }',
      'deploy: { port: 99999, instances: "three", marathon: { url: "marathon:8080", appPrefix: /web-app } }',
      'switch: { upstream: backend, file: /x, verify: { url: "http://127.0.0.1/" }, hosts: [local, { ssh: 3 }] }',
    ].join('\n'));
    expect(p).toEqual(expect.arrayContaining([
      'app: should be lowercase letters, digits and dashes, got "Web_App"',
      'colour: is not a known key (see deployer.example.yaml)',
      'images/delta: is required',
      'build/appDir: should be a string, got 3',
      'deploy/port: should be at most 65535, got 99999',
      'deploy/instances: should be a number, got "three"',
      'deploy/marathon/url: should be an http(s) URL, got "marathon:8080"',
      expect.stringMatching(/^switch\/hosts\/1: should be "local"/),
    ]));
    expect(p).toHaveLength(8);
  });

  it('refuses a document that is not a mapping', () => {
    expect(problems('- a\n- b\n')).toEqual(['(top level): should be a mapping of settings, got a list']);
  });

  it('never accepts secrets in the YAML', () => {
    expect(problems('app: a\nimages: {full: f, delta: d}\nbuild: {appDir: /app}\nregistry: { host: r:5000, password: hunter2 }\n'))
      .toEqual(['registry/password: is not a known key (see deployer.example.yaml)']);
  });

  it('refuses an alias bomb, an undefined alias and a long merge-key chain as config problems', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) bomb.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
    expect(problems(`${bomb.join('\n')}\n`)).toEqual([expect.stringMatching(/^yaml aliases: aliases expand too far/)]);
    expect(problems('app: *nope\n')).toEqual([expect.stringMatching(/^yaml aliases: Unresolved alias .*nope/)]);
    const chain = ['x0: &x0 {k: 1}'];
    for (let i = 1; i < 200; i++) chain.push(`x${i}: &x${i}\n  <<: *x${i - 1}\n  k${i}: 1`);
    expect(problems(`${chain.join('\n')}\n`)).toEqual([expect.stringMatching(/^yaml aliases: aliases expand too far/)]);
  });
});
