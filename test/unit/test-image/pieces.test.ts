import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { listensOn } from '../../../src/core/test/listening.js';
import { describeCheck, judge, showResponse } from '../../../src/core/test/smoke.js';
import { firstTarEntry } from '../../../src/core/test/tar.js';

async function tarOf(entries: { name: string; content?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Promise<Uint8Array> {
  const p = pack();
  for (const e of entries) {
    if (e.type === 'directory') p.entry({ name: e.name, type: 'directory' });
    else if (e.type === 'symlink') p.entry({ name: e.name, type: 'symlink', linkname: e.linkname! });
    else p.entry({ name: e.name }, e.content ?? '');
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('firstTarEntry', () => {
  it('returns the first file with its bytes', async () => {
    const e = firstTarEntry(await tarOf([{ name: 'junit.xml', content: '<testsuites/>\n日本' }, { name: 'other', content: 'x' }]));
    expect(e).toMatchObject({ name: 'junit.xml', type: 'file' });
    expect(new TextDecoder().decode(e!.content)).toBe('<testsuites/>\n日本');
  });

  it('applies long names (pax headers)', async () => {
    const long = `${'d'.repeat(120)}/junit_output.xml`;
    expect(firstTarEntry(await tarOf([{ name: long, content: 'x' }]))).toMatchObject({ name: long, type: 'file' });
  });

  it('tells a directory or symlink from a file, and an empty archive from both', async () => {
    expect(firstTarEntry(await tarOf([{ name: 'reports', type: 'directory' }]))).toMatchObject({ type: 'directory' });
    expect(firstTarEntry(await tarOf([{ name: 'j.xml', type: 'symlink', linkname: '/tmp/j.xml' }]))).toMatchObject({ type: 'symlink', linkName: '/tmp/j.xml' });
    expect(firstTarEntry(await tarOf([]))).toBeUndefined();
    expect(firstTarEntry(new Uint8Array(0))).toBeUndefined();
  });

  it('refuses a truncated archive', async () => {
    const t = await tarOf([{ name: 'big', content: 'x'.repeat(2000) }]);
    expect(() => firstTarEntry(t.subarray(0, 1000))).toThrow(/truncated/);
  });
});

describe('listensOn', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2B67 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
`;
  const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:2CEB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 456 1 0000000000000000 100 0 0 10 0
`;
  it('finds listening sockets on IPv4 and IPv6 by port', () => {
    expect(listensOn(tcp, 7000)).toBe(true);
    expect(listensOn(tcp6, 11499)).toBe(true);
    expect(listensOn(tcp + tcp6, 11499)).toBe(true);
  });
  it('ignores established connections and other ports', () => {
    expect(listensOn(tcp, 11111)).toBe(false); // 0x2B67 is an ESTABLISHED local port
    expect(listensOn(tcp, 7001)).toBe(false);
    expect(listensOn('', 7000)).toBe(false);
  });
});

describe('smoke checks', () => {
  const answer = { status: 200, headers: { 'x-revision': 'abc', 'content-type': 'text/plain' }, body: 'Hello world' };
  it('describes a check', () => {
    expect(describeCheck({ path: '/', status: 200, body: 'Hello', header: { name: 'X-Revision', value: 'abc' } })).toBe('GET / → 200, body contains "Hello", header X-Revision: abc');
    expect(describeCheck({ path: '/h', status: 204, header: { name: 'X-Revision', value: '' } })).toBe('GET /h → 204, header X-Revision present');
  });
  it('passes a matching response', () => {
    expect(judge({ path: '/', status: 200, body: 'Hello', header: { name: 'X-Revision', value: 'abc' } }, answer)).toMatchObject({ ok: true });
    expect(judge({ path: '/', status: 200, header: { name: 'x-REVISION', value: '' } }, answer)).toMatchObject({ ok: true });
  });
  it('says every way a response is wrong, and shows it', () => {
    const v = judge({ path: '/', status: 201, body: 'Bye', header: { name: 'X-Revision', value: 'def' } }, answer);
    expect(v).toEqual({
      ok: false,
      message: 'expected status 201, got 200; body does not contain "Bye"; header X-Revision is "abc", expected "def"',
      detail: 'HTTP 200\nx-revision: abc\ncontent-type: text/plain\n\nHello world',
    });
    expect(judge({ path: '/', status: 200, header: { name: 'X-Missing', value: '' } }, answer).message).toBe('header X-Missing is missing');
  });
  it('fails without a response', () => {
    expect(judge({ path: '/', status: 200 }, { error: 'ECONNRESET socket hang up' })).toEqual({ ok: false, message: 'no response: ECONNRESET socket hang up', detail: 'ECONNRESET socket hang up' });
  });
  it('cuts a long body when showing it', () => {
    expect(showResponse({ status: 500, headers: {}, body: 'x'.repeat(5000) })).toMatch(/^HTTP 500\n\nx{2000}… \(5000 characters\)$/);
  });
});
