// Fault cases: hostile content in the app's git repo. Each commit starts from the revision of the
// full image, is delta-built, then `deployer verify`'d (the delta's files equal a full build's).
// A name deployer cannot apply may be refused instead (exit 2 or 4) with the path named; what must
// never happen is a silent wrong image (a delta that verify finds different) or a crash.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { faultCase } from '../support/fault-case.js';
import { buildWorld, out, T, type BuildWorld } from '../support/fault-build.js';
import { makeGitRepo, type RepoChanges } from '../support/git-repo.js';

let w: BuildWorld;
let baseSha: string;

/** Hostile names already in the full image, for the deletion and rename case. */
const IN_BASE = {
  'old dir/with space.txt': 'spaced\n',
  'old\nline.txt': 'newline\n',
  '-old-dash.txt': 'dash\n',
  'ünï/çødé.txt': 'unicode\n',
};

beforeAll(async () => {
  w = await buildWorld('fgit', { files: IN_BASE });
  baseSha = w.repo.initialSha;
  const full = await w.cli(['full-build']);
  if (full.exitCode !== 0) throw new Error(`full-build of the base failed:\n${out(full)}`);
}, T);

afterAll(async () => {
  await w?.close();
}, T);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * One hostile commit on top of the base: delta-built, then verified; or refused by delta-build
 * with exit 2 or 4 and `names` (one of the paths) in the message.
 */
function hostile(name: string, change: RepoChanges | (() => Promise<void>), names: string[], timeoutMs = T): void {
  faultCase('hostile git', `${name}: delta-built and verified, or refused naming the path`, async () => {
    await w.repo.git(['checkout', '-q', '--detach', baseSha]);
    let sha: string;
    if (typeof change === 'function') {
      await change();
      sha = await w.repo.commit(name);
    } else {
      sha = await w.repo.commit(name, change);
    }
    const before = await w.snapshot();
    const d = await w.cli(['delta-build', sha]);
    if (d.exitCode === 0) {
      const v = await w.cli(['verify', sha]);
      return { exitCode: v.exitCode, expectedExit: 0, output: `${out(d)}\n--- verify ---\n${out(v)}`, lost: await w.lostAfterRecovery(before, { [w.deltaPath]: [sha] }) };
    }
    const refused = d.exitCode === 2 || d.exitCode === 4;
    return {
      exitCode: d.exitCode,
      expectedExit: refused ? d.exitCode : 4,
      output: out(d),
      message: new RegExp(names.map(escape).join('|')),
      lost: await w.lost(before),
    };
  }, timeoutMs);
}

describe('hostile git content', () => {
  hostile('names with spaces', {
    write: { 'dir with space/file name.txt': 'x\n', ' leading space.html': 'y\n', 'trailing space ': 'z\n' },
    rename: { 'lib/util.txt': 'lib/util copy.txt' },
  }, ['dir with space/file name.txt', ' leading space.html', 'trailing space ']);

  hostile('a newline and a tab in names', { write: { 'new\nline.txt': 'x\n', 'tab\there.txt': 'y\n', 'dir\nwith newline/f.txt': 'z\n' } }, ['new', 'tab']);

  hostile('names with a leading dash', { write: { '-rf': 'x\n', '--help.txt': 'y\n', '-dir/-x': 'z\n' } }, ['-rf', '--help.txt', '-dir/-x']);

  hostile('.. in names', { write: { 'a..b.txt': 'x\n', '...': 'y\n', '..x/y..': 'z\n', 'x../..z': 'w\n' } }, ['a..b.txt', '...', '..x/y..', 'x../..z']);

  hostile('unicode names (NFC and NFD, emoji, CJK)', {
    write: { 'café/naïve.txt': 'nfc\n', 'cafe\u0301-nfd.txt': 'nfd\n', '日本語.txt': 'cjk\n', 'rocket-🚀.txt': 'emoji\n' },
  }, ['café/naïve.txt', 'cafe\u0301-nfd.txt', '日本語.txt', 'rocket-🚀.txt']);

  hostile('deleting and renaming hostile names of the base', {
    remove: ['old\nline.txt', '-old-dash.txt'],
    rename: { 'old dir/with space.txt': 'new dir/with space.txt', 'ünï/çødé.txt': 'ünï2/çødé.txt' },
  }, ['old', 'dash', 'ünï']);

  hostile('a symlink pointing out of the app dir', {
    write: { 'escape-rel': { symlink: '../etc/passwd' }, 'escape-abs': { symlink: '/etc/shadow' }, 'lib/up': { symlink: '../../tmp' } },
  }, ['escape-rel', 'escape-abs', 'lib/up']);

  hostile('a symlink climbing above /', { write: { 'lib/root-escape': { symlink: '../../../../../../etc/hostname' } } }, ['lib/root-escape']);

  hostile('a 200 MB file', async () => {
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
    await writeFile(join(w.repo.dir, 'big.bin'), Buffer.concat(Array.from({ length: 200 }, (_, i) => { const c = Buffer.from(chunk); c.writeUInt32BE(i, 0); return c; })));
  }, ['big.bin'], 2 * T);

  hostile('a submodule', async () => {
    const sub = await makeGitRepo({ 'README.md': 'the submodule\n' });
    try {
      await mkdir(join(w.repo.dir, 'vendor/sub'), { recursive: true });
      await writeFile(join(w.repo.dir, '.gitmodules'), `[submodule "vendor/sub"]\n\tpath = vendor/sub\n\turl = ${sub.dir}\n`);
      await w.repo.git(['update-index', '--add', '--cacheinfo', `160000,${sub.initialSha},vendor/sub`]);
    } finally {
      await sub.close();
    }
  }, ['vendor/sub', '.gitmodules']);

  hostile('a file named :!public beside public/ and ignored notes/', {
    write: { ':!public': 'magic\n', 'public/app.css': 'body{}\n', 'notes/secret.md': 'not for the image\n' },
  }, [':!public']);

  hostile('a file named :(glob)x', { write: { ':(glob)x': 'glob magic\n', 'xy.txt': 'plain\n' } }, [':(glob)x']);
});
