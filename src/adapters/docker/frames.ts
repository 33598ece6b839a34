// Docker's multiplexed stream format (exec output and logs of a container without a TTY): 8-byte
// headers (stream 1 = stdout, 2 = stderr; 0,0,0; big-endian length), then that many bytes of data.

export type FrameStream = 'stdout' | 'stderr';

/** Splits a multiplexed stream into its frames as chunks arrive (a header or frame may span chunks). */
export class FrameDemuxer {
  #buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onData: (data: Buffer, stream: FrameStream) => void) {}
  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    while (this.#buf.length >= 8) {
      const len = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + len) return;
      this.onData(this.#buf.subarray(8, 8 + len), this.#buf[0] === 2 ? 'stderr' : 'stdout');
      this.#buf = this.#buf.subarray(8 + len);
    }
  }
}

/** A whole multiplexed answer (logs) as text, both streams in order. */
export function demuxBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  new FrameDemuxer((d) => parts.push(d)).push(buf);
  return Buffer.concat(parts).toString('utf8');
}
