import picomatch from 'picomatch';

// `deployer verify`: two images' file systems, compared path by path on type, mode, owner, size,
// content hash and link target. Modification times are not compared: a delta's files are written
// at a different moment than a full build's, by design.

export type FsType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface FsEntry {
  /** Absolute, no trailing slash: `/app/index.html`. */
  path: string;
  type: FsType;
  /** Permission and special bits (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** sha256 of the content (regular files and hard links, resolved to their target's). */
  sha256?: string;
  /** Symlink target, or the path a hard link points to. */
  linkTarget?: string;
}

export type FsManifest = Map<string, FsEntry>;

export interface FsDifference {
  path: string;
  change: 'only-in-full' | 'only-in-delta' | 'changed';
  /** Which fields differ, e.g. ['mode 0644 → 0755', 'content']. */
  fields: string[];
}

const octal = (n: number) => n.toString(8).padStart(4, '0');

function compare(a: FsEntry, b: FsEntry): string[] {
  const out: string[] = [];
  // A hard link is the same file as its target; compare it as a file.
  const ta = a.type === 'hardlink' ? 'file' : a.type;
  const tb = b.type === 'hardlink' ? 'file' : b.type;
  if (ta !== tb) return [`type ${ta} → ${tb}`];
  if (a.mode !== b.mode) out.push(`mode ${octal(a.mode)} → ${octal(b.mode)}`);
  if (a.uid !== b.uid || a.gid !== b.gid) out.push(`owner ${a.uid}:${a.gid} → ${b.uid}:${b.gid}`);
  if (ta === 'file') {
    if (a.size !== b.size) out.push(`size ${a.size} → ${b.size}`);
    else if (a.sha256 !== b.sha256) out.push('content');
  }
  if (ta === 'symlink' && a.linkTarget !== b.linkTarget) out.push(`link ${a.linkTarget ?? ''} → ${b.linkTarget ?? ''}`);
  return out;
}

/** Compiles absolute globs (`/tmp/**`, `**\/*.pyc`) into one predicate. */
export function volatileMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], { dot: true });
}

export function diffFs(full: FsManifest, delta: FsManifest, ignored: (path: string) => boolean): FsDifference[] {
  const out: FsDifference[] = [];
  const paths = new Set([...full.keys(), ...delta.keys()]);
  for (const path of [...paths].sort()) {
    if (ignored(path)) continue;
    const a = full.get(path);
    const b = delta.get(path);
    if (!a) out.push({ path, change: 'only-in-delta', fields: [b!.type] });
    else if (!b) out.push({ path, change: 'only-in-full', fields: [a.type] });
    else {
      const fields = compare(a, b);
      if (fields.length) out.push({ path, change: 'changed', fields });
    }
  }
  return out;
}

export interface VerifyResult {
  full: string;
  delta: string;
  equal: boolean;
  /** Paths seen in either image (ignored ones included). */
  compared: number;
  differences: FsDifference[];
}

export function renderDifference(d: FsDifference): string {
  switch (d.change) {
    case 'only-in-full':
      return `- ${d.path}  (${d.fields.join(', ')} only in the full build)`;
    case 'only-in-delta':
      return `+ ${d.path}  (${d.fields.join(', ')} only in the delta)`;
    default:
      return `~ ${d.path}  (${d.fields.join('; ')})`;
  }
}
