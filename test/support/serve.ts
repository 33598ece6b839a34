// `deployer serve` as a child process from source (as test/support/cli.ts runs the CLI), on a free
// loopback port read back from its "listening on" line.
import { execa, type ResultPromise } from 'execa';
import { request } from 'node:http';
import { ROOT } from './cli.js';
import { waitFor } from './wait.js';

const TSX_LOADER = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export interface Served {
  url: string;
  stderr: () => string;
  close(): Promise<void>;
}

export async function startServe(cwd: string, config: string, env: Record<string, string> = {}, extra: string[] = []): Promise<Served> {
  let err = '';
  const sub: ResultPromise = execa(process.execPath, ['--import', TSX_LOADER, `${ROOT}src/cli/bin.ts`, '--config', config, 'serve', '--listen', '127.0.0.1:0', ...extra], {
    cwd, env: { CI: 'true', NO_COLOR: '1', ...env }, reject: false, stdin: 'ignore',
  });
  sub.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  let ended = false;
  void sub.then(() => { ended = true; });
  const url = await waitFor(() => {
    if (ended) throw new Error(`deployer serve ended: ${err}`);
    return /listening on (http:\/\/\S+)/.exec(err)?.[1];
  }, { what: 'deployer serve to listen', timeoutMs: 30_000 });
  return {
    url,
    stderr: () => err,
    async close() {
      sub.kill('SIGTERM');
      await sub;
    },
  };
}

export interface Reply { status: number; type: string; body: string }

export function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
