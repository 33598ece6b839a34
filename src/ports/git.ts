import type { Readable } from 'node:stream';
import type { RawChange } from '../core/changes/classify.js';

export interface GitPort {
  /** The repository's top-level directory. */
  readonly root: string;
  /** Full 40-char sha of a revision; UsageError (exit 2) for an unknown or invalid one. */
  resolve(rev: string): Promise<string>;
  /** Changes between two commits (renames detected), as git reports them. */
  diff(from: string, to: string): Promise<RawChange[]>;
  /** True when tracked files differ from HEAD (untracked files do not count). */
  isDirty(): Promise<boolean>;
  /**
   * A tar of the tracked content at `rev` (modes and symlinks kept), optionally limited to paths.
   * With `prefix` (`app/`), every entry is named under it, and the prefix's own directory entry is
   * left out: that directory exists where the tar is extracted and keeps its owner and mode.
   */
  archive(rev: string, paths?: readonly string[], opts?: { prefix?: string }): Readable;
  /** Contents of one file at a revision, or undefined when it does not exist there. */
  show(rev: string, path: string): Promise<Buffer | undefined>;
  /** Which of `dirs` are directories at `rev`: one git call per argv-sized batch, never one per directory. */
  dirsAt(rev: string, dirs: readonly string[]): Promise<string[]>;
  /** Committer time of a revision. */
  commitTime(rev: string): Promise<Date>;
}
