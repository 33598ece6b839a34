import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerStreamError, followStream, type ProgressEvent } from '../../src/adapters/docker/progress.js';

// The engine's progress streams (build, push, pull): newline-delimited JSON in arbitrary chunks,
// failures inside a 200 answer.

function feed(chunks: (string | Buffer)[], end: 'end' | 'error' = 'end'): PassThrough {
  const s = new PassThrough();
  setImmediate(() => {
    for (const c of chunks) s.write(c);
    if (end === 'end') s.end();
    else s.destroy(new Error('socket hang up'));
  });
  return s;
}

describe('followStream', () => {
  it('hands every frame to onEvent, split across chunks and a multi-byte character, and keeps only aux and error frames', async () => {
    const seen: ProgressEvent[] = [];
    const frames = [
      { status: 'Pushing', id: 'a1', progressDetail: { current: 1 } },
      { status: 'Pushing', id: 'a1', progressDetail: { current: 2 } },
      { stream: 'Step 1/2 : FROM x — é\n' },
      { aux: { Digest: 'sha256:d', Size: 3 } },
    ];
    const text = `${frames.map((f) => JSON.stringify(f)).join('\r\n')}\n\n`;
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the two-byte é
    const kept = await followStream(feed([bytes.subarray(0, 10), bytes.subarray(10, cut), bytes.subarray(cut)]), (e) => seen.push(e));
    expect(seen).toEqual(frames);
    expect(kept).toEqual([{ aux: { Digest: 'sha256:d', Size: 3 } }]);
  });

  it('a last line without a newline still counts', async () => {
    expect(await followStream(feed(['{"aux":{"ID":"sha256:i"}}']))).toEqual([{ aux: { ID: 'sha256:i' } }]);
  });

  it("an error frame inside the stream rejects with the engine's message and code", async () => {
    const err = await followStream(feed(['{"status":"Pushing"}\n{"errorDetail":{"code":1,"message":"denied: requested access"},"error":"denied"}\n'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DockerStreamError);
    expect(err).toMatchObject({ message: 'denied: requested access', code: 1 });
  });

  it('a line that is not JSON, or a stream that errors, rejects', async () => {
    await expect(followStream(feed(['{"status":"ok"}\n<html>proxy error</html>\n']))).rejects.toThrow(/progress line that is not JSON: "<html>proxy error<\/html>"/);
    await expect(followStream(feed(['{"status":"ok"}\n'], 'error'))).rejects.toThrow('socket hang up');
  });

  it('a stream cut short resolves with what came (callers demand the frame that proves success)', async () => {
    const s = new PassThrough();
    setImmediate(() => {
      s.write('{"status":"Pushing"}\n');
      s.destroy();
    });
    expect(await followStream(s)).toEqual([]);
  });
});
