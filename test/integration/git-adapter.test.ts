import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import * as tarStream from 'tar-stream';
import type { UsageError } from '../../src/core/errors.js';
import { gitAt } from '../../src/adapters/git.js';
import { makeGitRepo, type GitRepo } from '../support/git-repo.js';

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

let repo: GitRepo;
beforeAll(async () => {
  repo = await makeGitRepo({ 'a.txt': 'a\n', 'dir/b.txt': 'b\n', 'run.sh': { content: '#!/bin/sh\n', mode: 0o755 }, link: { symlink: 'a.txt' } });
  await repo.commit('dirty later', { write: { 'a.txt': 'a2\n' } });
});
afterAll(async () => {
  await repo?.close();
});

describe('git adapter (real git)', () => {
  it('archives the tracked content at a revision, limited to paths when asked', async () => {
    const git = gitAt(repo.dir);
    const all = await drain(git.archive(repo.initialSha));
    expect(all.includes(Buffer.from('dir/b.txt'))).toBe(true);
    const some = await drain(git.archive(repo.initialSha, ['a.txt']));
    expect(some.includes(Buffer.from('dir/b.txt'))).toBe(false);
    expect(some.includes(Buffer.from('a\n'))).toBe(true);
  });

  it('names entries under a prefix without an entry for the prefix directory itself (it keeps its mode where extracted)', async () => {
    const git = gitAt(repo.dir);
    const names: string[] = [];
    const extract = tarStream.extract();
    extract.on('entry', (h, body, next) => {
      names.push(h.name);
      body.on('end', next);
      body.resume();
    });
    git.archive(repo.initialSha, ['dir/b.txt', 'link'], { prefix: 'opt/app/' }).pipe(extract);
    await new Promise<void>((resolve, reject) => extract.on('finish', () => resolve()).on('error', reject));
    expect(names.filter((n) => n !== 'pax_global_header')).toEqual(['opt/app/dir/', 'opt/app/dir/b.txt', 'opt/app/link']);
    await expect(drain(git.archive(repo.initialSha, ['no/such/path'], { prefix: 'app/' }))).rejects.toThrow(/git archive \w+ failed/);
  });

  it('fails the stream when git archive fails, instead of ending it early', async () => {
    const git = gitAt(repo.dir);
    await expect(drain(git.archive(repo.initialSha, ['no/such/path']))).rejects.toThrow(/git archive \w+ failed: .*no\/such\/path/);
  });

  it('dirsAt names which of the given paths are directories at a revision, in batches, prefixes and odd names included', async () => {
    const r = await makeGitRepo({ 'a/b/c/f.txt': '1\n', 'a/g.txt': '2\n', 'sp ace/x/y': '3\n', ':!x/z': '4\n' });
    try {
      const git = gitAt(r.dir);
      // a and a/b are prefixes of a/b/c (plain ls-tree would drop them); a/g.txt is a file; a/* is literal.
      const asked = ['a', 'a/b', 'a/b/c', 'a/g.txt', 'nope', 'sp ace/x', 'a/*', ':!x'];
      expect((await git.dirsAt(r.initialSha, asked)).sort()).toEqual([':!x', 'a', 'a/b', 'a/b/c', 'sp ace/x']);
      // More names than one argv batch holds (64 KiB): still every directory found, nothing else.
      const many = Array.from({ length: 5000 }, (_, i) => `missing/${'d'.repeat(20)}${i}`);
      expect((await git.dirsAt(r.initialSha, [...many, 'a/b'])).sort()).toEqual(['a/b']);
      expect(await git.dirsAt(r.initialSha, [])).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('resolves revisions, reads files at a revision and reports a dirty tree', async () => {
    const git = gitAt(repo.dir);
    const head = await git.resolve('HEAD');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect((await git.show(repo.initialSha, 'a.txt'))?.toString()).toBe('a\n');
    expect(await git.show(repo.initialSha, 'missing')).toBeUndefined();
    expect(await git.isDirty()).toBe(false);
    expect((await git.diff(repo.initialSha, head)).map((c) => c.path)).toEqual(['a.txt']);
    await expect(git.resolve('nope')).rejects.toMatchObject({ exitCode: 2 });
    await expect(gitAt('/').resolve('HEAD')).rejects.toMatchObject({ exitCode: 4, code: 'git.no-repo' });
  });
});

describe('git adapter: names git could read as something else', () => {
  it('archives a file named like pathspec magic as that file alone', async () => {
    const magic = await makeGitRepo({ ':!public': 'bang\n', ':(glob)x': 'glob\n', 'public/index.html': 'pub\n', 'notes/secret.txt': 'secret\n' });
    try {
      const git = gitAt(magic.dir);
      const bang = await drain(git.archive(magic.initialSha, [':!public']));
      expect(bang.includes(Buffer.from('bang\n'))).toBe(true);
      expect(bang.includes(Buffer.from('notes/secret.txt'))).toBe(false);
      const glob = await drain(git.archive(magic.initialSha, [':(glob)x']));
      expect(glob.includes(Buffer.from('glob\n'))).toBe(true);
      expect(glob.includes(Buffer.from('public/index.html'))).toBe(false);
    } finally {
      await magic.close();
    }
  });

  it('calls a short sha shared by two commits ambiguous and lists them', async () => {
    const many = await makeGitRepo({ 'a.txt': 'a\n' });
    try {
      // 2000 deterministic commits (fixed dates, identity and messages): some two share 4 hex digits.
      const lines: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const msg = `c${i}\n`;
        lines.push('commit refs/heads/many', `committer T <t@example.invalid> ${1_700_000_000 + i} +0000`, `data ${Buffer.byteLength(msg)}`, msg);
      }
      await execa('git', ['-C', many.dir, 'fast-import', '--quiet'], { env: many.env, input: `${lines.join('\n')}\n` });
      const shas = (await many.git(['rev-list', 'refs/heads/many'])).split('\n');
      const seen = new Map<string, string>();
      const pair = shas.map((s) => { const p = s.slice(0, 4); const other = seen.get(p); seen.set(p, s); return other ? [other, s] : undefined; }).find(Boolean);
      expect(pair).toBeDefined();
      const [a, b] = pair as string[];
      const prefix = (a as string).slice(0, 4);
      const err = await gitAt(many.dir).resolve(prefix).then(() => undefined, (e: unknown) => e as UsageError);
      expect(err?.message).toMatch(new RegExp(`ambiguous revision "${prefix}"`));
      expect(err?.details.join('\n')).toContain(a);
      expect(err?.details.join('\n')).toContain(b);
      await expect(gitAt(many.dir).resolve('0000000000000000000000000000000000000bad')).rejects.toThrow(/unknown revision/);
    } finally {
      await many.close();
    }
  });
});

describe('runGit (node:child_process, no shell)', () => {
  it('returns the whole output, bytes intact, and names git, its exit code and its first stderr line on failure', async () => {
    const { runGit, GitFailure } = await import('../../src/adapters/git-run.js');
    const big = await runGit(['log', '--format=%H%n%B', '--all'], { cwd: repo.dir, env: {}, maxBuffer: 1 << 20 });
    expect(big.toString()).toContain(repo.initialSha);
    const e = await runGit(['cat-file', '-p', 'nope:missing'], { cwd: repo.dir, env: {}, maxBuffer: 1 << 20 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitFailure);
    expect((e as Error).message).toMatch(/^git cat-file failed \(exit 128\): fatal: /);
    expect((e as Error).message).not.toContain('\n');
  });

  it('fails instead of growing past maxBuffer', async () => {
    const { runGit } = await import('../../src/adapters/git-run.js');
    await expect(runGit(['cat-file', '-p', `${repo.initialSha}:a.txt`], { cwd: repo.dir, env: {}, maxBuffer: 1 })).rejects.toThrow(/output passed 1 bytes/);
  });
});
