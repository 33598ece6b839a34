import { describe, expect, it } from 'vitest';
import { classifyChanges, compileClassifier, type RawChange } from '../../../src/core/changes/classify.js';

const rules = {
  infra: ['Dockerfile', '.dockerignore', 'supervisor/**'],
  deps: ['cpanfile', 'cpanfile.snapshot'],
  ignore: ['README.md', 'docs/**'],
};

describe('compileClassifier', () => {
  const classOf = compileClassifier(rules);
  it.each([
    ['Dockerfile', 'infra'],
    ['supervisor/supervisord.conf', 'infra'],
    ['supervisor/conf.d/app.conf', 'infra'],
    ['.dockerignore', 'infra'],
    ['cpanfile', 'deps'],
    ['cpanfile.snapshot', 'deps'],
    ['app.psgi', 'code'],
    ['lib/WebApp.pm', 'code'],
    ['t/00_compile.t', 'code'],
    ['README.md', 'none'],
    ['docs/index.md', 'none'],
    ['docs/deep/er/x.png', 'none'],
    // Patterns are anchored at the repository root, like the Dockerfile's COPY sees them.
    ['lib/Dockerfile', 'code'],
    ['lib/README.md', 'code'],
    ['.github/workflows/ci.yml', 'code'],
  ] as const)('%s is %s', (path, cls) => {
    expect(classOf(path)).toBe(cls);
  });

  it('never lets ignore hide an infra or deps path', () => {
    const c = compileClassifier({ infra: ['Dockerfile'], deps: ['cpanfile'], ignore: ['**'] });
    expect(c('Dockerfile')).toBe('infra');
    expect(c('cpanfile')).toBe('deps');
    expect(c('app.psgi')).toBe('none');
  });
});

describe('classifyChanges', () => {
  const change = (status: RawChange['status'], path: string, oldPath?: string): RawChange =>
    ({ status, path, ...(oldPath ? { oldPath } : {}) });

  it.each([
    [[], 'none'],
    [[change('modified', 'README.md')], 'none'],
    [[change('modified', 'README.md'), change('added', 'lib/New.pm')], 'code'],
    [[change('modified', 'lib/A.pm'), change('modified', 'cpanfile')], 'deps'],
    [[change('modified', 'cpanfile'), change('deleted', 'supervisor/x.conf')], 'infra'],
    [[change('deleted', 'Dockerfile')], 'infra'],
  ] as const)('overall class of %j is %s (infra > deps > code > none)', (changes, cls) => {
    expect(classifyChanges(changes, rules).class).toBe(cls);
  });

  it('counts a rename for both its old and new path', () => {
    const out = classifyChanges([change('renamed', 'lib/supervisor.conf', 'supervisor/old.conf')], rules);
    expect(out.files[0]).toMatchObject({ path: 'lib/supervisor.conf', oldPath: 'supervisor/old.conf', class: 'infra' });
    expect(out.class).toBe('infra');
    const intoDocs = classifyChanges([change('renamed', 'docs/a.md', 'lib/A.pm')], rules);
    expect(intoDocs.class).toBe('code');
  });

  it('classifies 10,000 changes against the rules quickly enough to be linear', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => change('modified', `lib/m${i % 100}/f${i}.pm`));
    const out = classifyChanges(many, rules);
    expect(out.files).toHaveLength(10_000);
    expect(out.class).toBe('code');
  });
});
