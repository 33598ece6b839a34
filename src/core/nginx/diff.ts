// A unified line diff (Myers' O(ND) algorithm), for showing exactly what a switch changes in each
// nginx file. Small on purpose: the files are a few dozen lines.

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: true };
  const finalNewline = text.endsWith('\n');
  const lines = (finalNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, finalNewline };
}

/** The shortest edit script between two line arrays (Myers 1986, forward pass with saved frontiers). */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the saved frontiers back from (n, m) to (0, 0).
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[x - 1]!, a: x - 1, b: y - 1 });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[y - 1]!, a: x, b: y - 1 });
      else ops.push({ kind: '-', line: a[x - 1]!, a: x - 1, b: y });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

export interface UnifiedDiffOptions {
  oldLabel: string;
  newLabel: string;
  context?: number;
}

/**
 * `diff -u` style lines (`---`, `+++`, `@@ -a,b +c,d @@`, then ` `, `-`, `+` lines); an empty array
 * when the texts are equal. `oldText` undefined means the file does not exist yet (/dev/null).
 */
export function unifiedDiff(oldText: string | undefined, newText: string, opts: UnifiedDiffOptions): string[] {
  if (oldText === newText) return [];
  const context = opts.context ?? 3;
  const A = splitLines(oldText ?? '');
  const B = splitLines(newText);
  const a = [...A.lines];
  const b = [...B.lines];
  // A missing final newline is a change of its own (shown as diff does, with a marker line).
  const NO_NL = '\\ No newline at end of file';
  if (!A.finalNewline && a.length) a[a.length - 1] = `${a[a.length - 1]}\u0000`;
  if (!B.finalNewline && b.length) b[b.length - 1] = `${b[b.length - 1]}\u0000`;
  const ops = diffLines(a, b);
  const out = [`--- ${oldText === undefined ? '/dev/null' : opts.oldLabel}`, `+++ ${opts.newLabel}`];
  const changed = ops.map((o, i) => (o.kind !== ' ' ? i : -1)).filter((i) => i >= 0);
  let i = 0;
  while (i < changed.length) {
    // Grow a hunk while the next change is within 2*context lines of the last one.
    let end = changed[i]!;
    let j = i;
    while (j + 1 < changed.length && changed[j + 1]! - end - 1 <= 2 * context) end = changed[++j]!;
    const from = Math.max(0, changed[i]! - context);
    const to = Math.min(ops.length - 1, end + context);
    const slice = ops.slice(from, to + 1);
    const aStart = slice.find((o) => o.kind !== '+')?.a ?? (slice[0]!.a);
    const bStart = slice.find((o) => o.kind !== '-')?.b ?? (slice[0]!.b);
    const aLen = slice.filter((o) => o.kind !== '+').length;
    const bLen = slice.filter((o) => o.kind !== '-').length;
    const range = (start: number, len: number) => (len === 1 ? `${start + 1}` : `${len === 0 ? start : start + 1},${len}`);
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`);
    for (const o of slice) {
      const noNl = o.line.endsWith('\u0000');
      out.push(`${o.kind}${noNl ? o.line.slice(0, -1) : o.line}`);
      if (noNl) out.push(NO_NL);
    }
    i = j + 1;
  }
  return out;
}
