import { describe, expect, it } from 'vitest';
import { globMatch, needs, parseIncludes, shadowTree, type ConfFacts } from '../../../src/core/nginx/include-tree.js';
import { stagedPath } from '../../../src/core/nginx/test-config.js';

const MAIN = '/etc/nginx/nginx.conf';
const LIVE = '/etc/nginx/conf.d/backend.conf';
const STAGED = stagedPath(LIVE);

function resolve(files: Record<string, string>, dirs: Record<string, string[]> = {}): ConfFacts {
  // Runs the gather loop against in-memory files, as gatherConfFacts does against a host.
  const facts: ConfFacts = { files: {}, dirs: {} };
  for (let i = 0; i < 10; i++) {
    const n = needs(MAIN, facts, new Set([LIVE]));
    if (!n.files.length && !n.dirs.length) break;
    for (const f of n.files) facts.files[f] = files[f] ?? null;
    for (const d of n.dirs) facts.dirs[d] = dirs[d] ?? null;
  }
  return facts;
}

describe('parseIncludes', () => {
  it('finds includes with their exact argument span, ignoring comments', () => {
    const text = 'http {\n  include mime.types;\n  # include nope;\n  include "conf.d/*.conf" ;\n}';
    const incs = parseIncludes(text, '/etc/nginx');
    expect(incs.map((i) => [i.target, i.glob, text.slice(i.start, i.end)])).toEqual([
      ['/etc/nginx/mime.types', false, 'mime.types'],
      ['/etc/nginx/conf.d/*.conf', true, '"conf.d/*.conf"'],
    ]);
  });
});

describe('globMatch', () => {
  it.each([
    ['*.conf', 'backend.conf', true],
    ['*.conf', '.backend.conf.deployer-staged', false],
    ['*', '.hidden', false],
    ['*.conf', 'backend.conf.deployer-staged', false],
    ['site-?', 'site-a', true],
    ['[ab]*', 'b.conf', true],
    ['[!ab]*', 'b.conf', false],
  ])('%s matches %s: %s', (p, n, ok) => {
    expect(globMatch(p, n)).toBe(ok);
  });
});

describe('shadowTree', () => {
  it('an explicit include in the main config: one shadow, pointing at the staged file', () => {
    const facts = resolve({ [MAIN]: 'http { include conf.d/backend.conf; include mime.types; }', '/etc/nginx/mime.types': 'types {}' });
    expect(shadowTree(MAIN, LIVE, STAGED, facts)).toEqual({
      ok: true,
      root: '/etc/nginx/.nginx.conf.deployer-test',
      files: [{ path: '/etc/nginx/.nginx.conf.deployer-test', of: MAIN, text: `http { include ${STAGED}; include mime.types; }` }],
    });
  });

  it("Debian's glob: expanded in sorted order, the live file swapped, dot files left out", () => {
    const facts = resolve(
      { [MAIN]: 'http {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n', '/etc/nginx/conf.d/a.conf': '', '/etc/nginx/conf.d/z.conf': '', '/etc/nginx/sites-enabled/default': 'server { listen 80; }' },
      { '/etc/nginx/conf.d': ['z.conf', 'backend.conf', 'a.conf', '.backend.conf.deployer-staged', 'notes.txt'], '/etc/nginx/sites-enabled': ['default'] },
    );
    const r = shadowTree(MAIN, LIVE, STAGED, facts);
    expect(r).toEqual({
      ok: true,
      root: '/etc/nginx/.nginx.conf.deployer-test',
      files: [{
        path: '/etc/nginx/.nginx.conf.deployer-test',
        of: MAIN,
        text: `http {\n  include /etc/nginx/conf.d/a.conf; include ${STAGED}; include /etc/nginx/conf.d/z.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n`,
      }],
    });
  });

  it("a glob reaches the live file before it exists (a first deploy's conf.d/app-preview.conf)", () => {
    const live = '/etc/nginx/conf.d/app-preview.conf';
    const facts = resolve(
      { [MAIN]: 'include /etc/nginx/modules-enabled/*.conf;\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n', '/etc/nginx/conf.d/backend.conf': '' },
      { '/etc/nginx/conf.d': ['backend.conf'], '/etc/nginx/modules-enabled': [] },
    );
    expect(shadowTree(MAIN, live, stagedPath(live), facts)).toEqual({
      ok: true,
      root: '/etc/nginx/.nginx.conf.deployer-test',
      files: [{
        path: '/etc/nginx/.nginx.conf.deployer-test',
        of: MAIN,
        text: `include /etc/nginx/modules-enabled/*.conf;\nhttp {\n  include ${stagedPath(live)}; include /etc/nginx/conf.d/backend.conf;\n}\n`,
      }],
    });
    // A name the glob would not pick up is still refused.
    expect(shadowTree(MAIN, '/etc/nginx/conf.d/preview.txt', stagedPath('/etc/nginx/conf.d/preview.txt'), facts)).toMatchObject({ ok: false });
  });

  it('a nested include (sites-enabled/app includes the file): the path to it is shadowed', () => {
    const live = '/etc/nginx/backend.conf';
    const facts: ConfFacts = {
      files: { [MAIN]: 'http { include sites-enabled/*; }', '/etc/nginx/sites-enabled/app': 'include /etc/nginx/backend.conf;\nserver { location / { proxy_pass http://backend; } }', '/etc/nginx/sites-enabled/other': 'server {}' },
      dirs: { '/etc/nginx/sites-enabled': ['other', 'app'] },
    };
    const r = shadowTree(MAIN, live, stagedPath(live), facts);
    expect(r).toEqual({
      ok: true,
      root: '/etc/nginx/.nginx.conf.deployer-test',
      files: [
        { path: '/etc/nginx/.nginx.conf.deployer-test', of: MAIN, text: 'http { include /etc/nginx/sites-enabled/.app.deployer-test; include /etc/nginx/sites-enabled/other; }' },
        { path: '/etc/nginx/sites-enabled/.app.deployer-test', of: '/etc/nginx/sites-enabled/app', text: `include ${stagedPath(live)};\nserver { location / { proxy_pass http://backend; } }` },
      ].sort((a, b) => (a.of === MAIN ? -1 : b.of === MAIN ? 1 : 0)),
    });
  });

  it('refuses when the configuration never reaches the live file', () => {
    expect(shadowTree(MAIN, LIVE, STAGED, resolve({ [MAIN]: 'http { include other.conf; }', '/etc/nginx/other.conf': '' }))).toMatchObject({ ok: false, problem: expect.stringContaining('does not include /etc/nginx/conf.d/backend.conf') });
    expect(shadowTree(MAIN, LIVE, STAGED, resolve({}))).toMatchObject({ ok: false, problem: expect.stringContaining('does not exist') });
  });

  it('survives include cycles', () => {
    const facts = resolve({ [MAIN]: 'include a.conf; include conf.d/backend.conf;', '/etc/nginx/a.conf': 'include nginx.conf;' });
    expect(shadowTree(MAIN, LIVE, STAGED, facts)).toMatchObject({ ok: true });
  });
});
