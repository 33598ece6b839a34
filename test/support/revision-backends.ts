import { createServer, type Server } from 'node:http';

/**
 * In-process HTTP backends that answer with `X-Revision: <revision>`, on 127.0.0.1: stand-ins for an
 * environment's instances where a test needs nginx to proxy somewhere but no containers.
 */
export function revisionBackends() {
  const servers: Server[] = [];
  return {
    /** `onlyOn`: the header goes only on that path (an app whose `/` does not carry it). */
    async start(revision: string, opts: { onlyOn?: string } = {}): Promise<number> {
      const srv = createServer((req, res) => {
        if (!opts.onlyOn || req.url === opts.onlyOn) res.setHeader('X-Revision', revision);
        res.end('ok\n');
      });
      servers.push(srv);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      return (srv.address() as { port: number }).port;
    },
    close(): void {
      for (const s of servers) s.close();
    },
  };
}
