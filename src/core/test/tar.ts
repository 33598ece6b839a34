// Reads the first entry of a tar archive (what the Docker API returns for one copied path). Pure:
// the handler collects the bytes, this finds the file in them. ustar, pax and GNU long names.

export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  /** The file's bytes (regular files only). */
  content?: Uint8Array;
  linkName?: string;
}

const BLOCK = 512;

function str(b: Uint8Array, off: number, len: number): string {
  const slice = b.subarray(off, off + len);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? slice.subarray(0, nul) : slice);
}

function size(b: Uint8Array, off: number): number {
  if (b[off]! & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes.
    let n = 0;
    for (let k = off + 1; k < off + 12; k++) n = n * 256 + b[k]!;
    return n;
  }
  const s = str(b, off, 12).trim();
  return s ? parseInt(s, 8) : 0;
}

function paxPath(b: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(b);
  for (const m of text.matchAll(/(\d+) ([^=]+)=([^\n]*)\n/g)) if (m[2] === 'path') return m[3];
  return undefined;
}

/** The first real entry (pax and GNU long-name headers applied), or undefined for an empty archive. */
export function firstTarEntry(tar: Uint8Array): TarEntry | undefined {
  let off = 0;
  let longName: string | undefined;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) return undefined;
    const n = size(h, 124);
    if (!Number.isFinite(n) || n < 0) throw new Error('corrupt tar header (size)');
    const type = String.fromCharCode(h[156]!);
    const data = tar.subarray(off + BLOCK, off + BLOCK + n);
    if (data.length < n) throw new Error('truncated tar archive');
    off += BLOCK + Math.ceil(n / BLOCK) * BLOCK;
    if (type === 'x' || type === 'L') {
      longName = type === 'L' ? str(data, 0, n) : (paxPath(data) ?? longName);
      continue;
    }
    if (type === 'g') continue;
    const prefix = str(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    if (type === '0' || type === '\0' || type === '7') return { name, type: 'file', content: data };
    if (type === '5') return { name, type: 'directory' };
    if (type === '2' || type === '1') return { name, type: 'symlink', linkName: str(h, 157, 100) };
    return { name, type: 'other' };
  }
  return undefined;
}
