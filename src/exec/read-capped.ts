import type { Readable } from 'node:stream';

/**
 * Reads a stream into memory, stopping at `max` bytes (a container can hand back anything: a
 * multi-gigabyte "key file" must not fill our memory). `truncated` tells the caller it stopped.
 */
export async function readCapped(stream: Readable, max: number): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += b.length;
    if (size > max) {
      stream.destroy();
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(b);
  }
  return { bytes: Buffer.concat(chunks), truncated: false };
}
