import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../../src/core/config/json-schema.js';
import { parseConfigText } from '../../../src/core/config/parse.js';
import { classifyChanges } from '../../../src/core/changes/classify.js';
import { readDockerfile } from '../../../src/core/init/dockerfile.js';
import { appName, renderInitConfig } from '../../../src/core/init/render.js';

describe('deployer init', () => {
  it('a Node app: name from package.json, app dir from WORKDIR, port from EXPOSE, npm deps', () => {
    const text = renderInitConfig({
      dirName: 'checkout',
      files: new Set(['package.json', 'package-lock.json', 'Dockerfile', 'src']),
      packageJson: '{"name":"@acme/Shop_Front"}',
      dockerfile: 'FROM node:20\nWORKDIR /srv\nWORKDIR shop\nCOPY . .\nEXPOSE 3000/tcp\nCMD ["node","server.js"]\n',
    });
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=/);
    const config = parseConfigText(text, 'deployer.yaml');
    expect(config.app).toBe('shop-front');
    expect(config.build.appDir).toBe('/srv/shop');
    expect(config.deploy?.port).toBe(3000);
    expect(config.changes.depsDir).toBe('/srv/shop/node_modules');
    expect(config.changes.depsInstall).toBe('cd /srv/shop && npm ci --omit=dev');
    const c = classifyChanges([{ status: 'modified', path: 'package-lock.json' }, { status: 'modified', path: 'src/a.js' }], config.changes);
    expect(c.files.map((f) => f.class)).toEqual(['deps', 'code']);
    expect(classifyChanges([{ status: 'modified', path: 'Dockerfile' }], config.changes).class).toBe('infra');
  });

  it('Ruby and Perl layouts: COPY destination without WORKDIR, bundler and carton', () => {
    const ruby = parseConfigText(renderInitConfig({ dirName: 'Blog', files: new Set(['Gemfile', 'Gemfile.lock', 'Dockerfile']), dockerfile: 'FROM ruby\nCOPY . /opt/blog\n' }), 'x.yaml');
    expect(ruby.app).toBe('blog');
    expect(ruby.build.appDir).toBe('/opt/blog');
    expect(ruby.changes.deps).toEqual(['Gemfile', 'Gemfile.lock']);
    expect(classifyChanges([{ status: 'modified', path: 'Gemfile.lock' }], ruby.changes).class).toBe('deps');
    const perl = parseConfigText(renderInitConfig({ dirName: '9-web', files: new Set(['cpanfile', 'cpanfile.snapshot']) }), 'x.yaml');
    expect(perl.app).toBe('app-9-web');
    expect(perl.build.appDir).toBe('/app');
    expect(perl.changes.depsInstall).toBe('cd /app && carton install --deployment');
    expect(classifyChanges([{ status: 'added', path: 'lib/Web.pm' }], perl.changes).class).toBe('code');
  });

  it('no known lockfile: no deps section is invented', () => {
    const config = parseConfigText(renderInitConfig({ dirName: 'site', files: new Set(['index.html']) }), 'x.yaml');
    expect(config.changes.deps).toEqual([]);
    expect(config.changes.depsInstall).toBeUndefined();
  });

  it('reads Dockerfile continuations and JSON-form COPY', () => {
    expect(readDockerfile('FROM x\nCOPY [".", "/app/"]\nEXPOSE \\\n 8080 9090\n')).toEqual({ appDir: '/app', port: 8080 });
    expect(appName({ dirName: '--', files: new Set() })).toBe('app-x');
  });
});

describe('deployer schema', () => {
  it('docs/deployer.schema.json is the schema generated from the config schema', async () => {
    const committed = JSON.parse(await readFile(new URL('../../../docs/deployer.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(configJsonSchema());
    expect(Object.keys((committed as { properties: object }).properties)).toContain('switch');
  });
});
