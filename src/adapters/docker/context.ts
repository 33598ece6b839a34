import { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';

// Filters a tar stream entry by entry (the full build's context: `git archive` minus what
// .dockerignore excludes). Headers are passed through unchanged, so modes, symlinks and owners
// reach the engine exactly as git wrote them.

export function filterTar(input: Readable, keep: (path: string) => boolean): Readable {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  extract.on('entry', (header, stream, next) => {
    const path = header.name.replace(/^\.\//, '').replace(/\/+$/, '');
    if (path === '' || !keep(path)) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    let pending = 2;
    let failed = false;
    const done = (err?: Error | null) => {
      if (failed) return;
      if (err) {
        failed = true;
        return next(err);
      }
      if (--pending === 0) next();
    };
    const sink = pack.entry(header, done);
    if (header.type === 'file' || header.type === 'contiguous-file') {
      stream.pipe(sink);
      stream.on('end', () => done());
    } else {
      stream.on('end', () => done());
      stream.resume();
    }
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (e: Error) => pack.destroy(e));
  input.on('error', (e: Error) => {
    extract.destroy(e);
    pack.destroy(e);
  });
  input.pipe(extract);
  return Readable.from(pack);
}
