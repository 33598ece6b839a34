import { describe, expect, it } from 'vitest';
import { diffFs, renderDifference, volatileMatcher, type FsEntry, type FsManifest } from '../../../src/core/build/fs-diff.js';

const f = (path: string, more: Partial<FsEntry> = {}): FsEntry => ({ path, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, sha256: 'aaa', ...more });
const manifest = (...entries: FsEntry[]): FsManifest => new Map(entries.map((e) => [e.path, e]));

describe('diffFs', () => {
  it('finds nothing in equal file systems', () => {
    const a = manifest(f('/app/a'), f('/app', { type: 'dir', mode: 0o755, size: 0, sha256: undefined }));
    expect(diffFs(a, manifest(...a.values()), () => false)).toEqual([]);
  });

  it('reports each kind of difference', () => {
    const full = manifest(
      f('/app/only-full'),
      f('/app/mode'),
      f('/app/owner'),
      f('/app/content'),
      f('/app/size'),
      f('/app/link', { type: 'symlink', size: 0, sha256: undefined, linkTarget: 'a' }),
      f('/app/type'),
    );
    const delta = manifest(
      f('/app/only-delta'),
      f('/app/mode', { mode: 0o755 }),
      f('/app/owner', { uid: 1000 }),
      f('/app/content', { sha256: 'bbb' }),
      f('/app/size', { size: 4, sha256: 'ccc' }),
      f('/app/link', { type: 'symlink', size: 0, sha256: undefined, linkTarget: 'b' }),
      f('/app/type', { type: 'dir' }),
    );
    const d = diffFs(full, delta, () => false);
    expect(d.map((x) => [x.path, x.change, x.fields])).toEqual([
      ['/app/content', 'changed', ['content']],
      ['/app/link', 'changed', ['link a → b']],
      ['/app/mode', 'changed', ['mode 0644 → 0755']],
      ['/app/only-delta', 'only-in-delta', ['file']],
      ['/app/only-full', 'only-in-full', ['file']],
      ['/app/owner', 'changed', ['owner 0:0 → 1000:0']],
      ['/app/size', 'changed', ['size 3 → 4']],
      ['/app/type', 'changed', ['type file → dir']],
    ]);
    expect(d.map(renderDifference)).toContain('+ /app/only-delta  (file only in the delta)');
  });

  it('treats a hard link as the file it links to', () => {
    const full = manifest(f('/bin/a'), f('/bin/b'));
    const delta = manifest(f('/bin/a'), f('/bin/b', { type: 'hardlink', linkTarget: '/bin/a' }));
    expect(diffFs(full, delta, () => false)).toEqual([]);
  });

  it('ignores volatile paths', () => {
    const ignore = volatileMatcher(['/tmp/**', '**/*.pyc', '/app/README.md']);
    const full = manifest(f('/tmp/x'), f('/app/m.pyc'), f('/app/README.md'), f('/app/kept'));
    const delta = manifest(f('/tmp'), f('/app/README.md', { sha256: 'zzz' }), f('/app/kept', { sha256: 'zzz' }));
    expect(diffFs(full, delta, ignore).map((d) => d.path)).toEqual(['/app/kept']);
  });
});
