// Where a repository file lands in the image: the Dockerfile's `COPY . <appDir>` maps the repo root
// (the build context) onto build.appDir.

export function imagePath(appDir: string, repoPath: string): string {
  const base = appDir.replace(/\/+$/, '');
  return `${base}/${repoPath.replace(/^\/+/, '')}`;
}

/** `a/b/c.txt` → [`a/b`, `a`] (deepest first). */
export function ancestorDirs(repoPath: string): string[] {
  const parts = repoPath.split('/').slice(0, -1);
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Sorted so that a directory comes after everything inside it (removing empty directories bottom-up). */
export function deepestFirst(paths: Iterable<string>): string[] {
  return [...new Set(paths)].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
}

/** Groups paths by depth, deepest group first (each group sorted). */
export function byDepth(paths: Iterable<string>): string[][] {
  const groups = new Map<number, string[]>();
  for (const p of deepestFirst(paths)) {
    const depth = p.split('/').length;
    groups.set(depth, [...(groups.get(depth) ?? []), p]);
  }
  return [...groups.values()];
}

const utf8 = new TextEncoder();

/** Splits a long argument list into batches that stay well below the kernel's ARG_MAX. */
export function batches(items: readonly string[], maxBytes = 64 * 1024): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let size = 0;
  for (const it of items) {
    const len = utf8.encode(it).length + 1;
    if (cur.length && size + len > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(it);
    size += len;
  }
  if (cur.length) out.push(cur);
  return out;
}
