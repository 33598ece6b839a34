import type { Duplex } from 'node:stream';
import type { ControlAnswer, ControlRequest } from '../../ports/lb.js';

// HTTP/1.0 over an already-open stream (a unix socket here, or an SSH forwarded stream to one on
// a switch host): one request, `Connection: close`, the answer read to the end. The control
// endpoint answers a few hundred bytes, so anything beyond MAX_ANSWER is refused, not buffered.

const MAX_ANSWER = 1 << 20;

export function requestOverStream(stream: Duplex, req: ControlRequest, signal?: AbortSignal): Promise<ControlAnswer> {
  const body = Buffer.from(req.body ?? '');
  const head = [
    `${req.method} ${req.path} HTTP/1.0`,
    'Host: deployer-control',
    'Connection: close',
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return new Promise<ControlAnswer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, value?: ControlAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error('interrupted'));
    const timer = setTimeout(() => finish(new Error(`no answer within ${req.timeoutMs ?? 5000} ms`)), req.timeoutMs ?? 5000);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER) return finish(new Error(`the answer exceeds ${MAX_ANSWER} bytes`));
      chunks.push(c);
    });
    stream.on('error', (e) => finish(e));
    // The server closes after its answer: 'end' (its EOF) is enough; an SSH channel only emits
    // 'close' once both sides have closed, which is our side's job.
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      if (split < 0 || !status) return finish(new Error(text ? 'not an HTTP answer' : 'the connection closed without an answer'));
      finish(undefined, { status: Number(status), body: text.slice(split + 4) });
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.write(Buffer.concat([Buffer.from(head), body]));
  });
}
