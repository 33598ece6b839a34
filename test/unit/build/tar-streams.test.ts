import { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { filterTar } from '../../../src/adapters/docker/context.js';
import { hashTar } from '../../../src/adapters/docker/snapshot.js';

function tarOf(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; mode?: number; linkname?: string }[]): Readable {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, ...(e.linkname ? { linkname: e.linkname } : {}) }, e.body ?? '');
  pack.finalize();
  return Readable.from(pack);
}

async function listing(stream: Readable) {
  const out: string[] = [];
  const ex = tarStream.extract();
  ex.on('entry', (h, s, next) => {
    let body = '';
    s.on('data', (b: unknown) => {
      body += String(b);
    });
    s.on('end', () => {
      out.push(`${h.type} ${h.name} ${(h.mode ?? 0).toString(8)}${h.linkname ? ` -> ${h.linkname}` : ''}${body ? ` "${body}"` : ''}`);
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', () => resolve());
    ex.on('error', reject);
    stream.pipe(ex);
  });
  return out;
}

describe('filterTar', () => {
  it('drops excluded entries and passes the rest through unchanged (modes, symlinks, bodies)', async () => {
    const src = tarOf([
      { name: 'a/', type: 'directory', mode: 0o775 },
      { name: 'a/keep.txt', body: 'keep' },
      { name: 'notes/', type: 'directory' },
      { name: 'notes/x.md', body: 'secret' },
      { name: 'run.sh', body: '#!/bin/sh', mode: 0o755 },
      { name: 'link', type: 'symlink', linkname: 'a/keep.txt' },
      { name: 'empty.txt', body: '' },
    ]);
    const out = await listing(filterTar(src, (p) => !p.startsWith('notes')));
    expect(out).toEqual([
      'directory a/ 775',
      'file a/keep.txt 644 "keep"',
      'file run.sh 755 "#!/bin/sh"',
      'symlink link 644 -> a/keep.txt',
      'file empty.txt 644',
    ]);
  });
});

describe('hashTar', () => {
  it('records type, mode, owner, size, sha256, link targets; hard links take their target content', async () => {
    const m = await hashTar(tarOf([
      { name: 'app/', type: 'directory', mode: 0o755 },
      { name: 'app/a.txt', body: 'abc' },
      { name: 'app/l', type: 'symlink', linkname: 'a.txt' },
      { name: 'app/h', type: 'link', linkname: 'app/a.txt' },
    ]));
    expect(m.get('/app')).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(m.get('/app/a.txt')).toMatchObject({ type: 'file', size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
    expect(m.get('/app/l')).toMatchObject({ type: 'symlink', linkTarget: 'a.txt' });
    expect(m.get('/app/h')).toMatchObject({ type: 'hardlink', size: 3, sha256: m.get('/app/a.txt')!.sha256 });
  });
});
