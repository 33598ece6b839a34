import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('fails the stream when git archive fails, instead of ending it early', async () => {
    const git = gitAt(repo.dir);
    await expect(drain(git.archive(repo.initialSha, ['no/such/path']))).rejects.toThrow(/git archive \w+ failed: .*no\/such\/path/);
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
