// An nginx tree shaped like Debian's stock /etc/nginx, in its own prefix on loopback ports: the main
// config includes modules-enabled/*.conf (main context), conf.d/*.conf and sites-enabled/* (http),
// so deployer's upstream and preview files are picked up by the glob, as on a real host. Whether
// those files exist at start, and what they hold, is the caller's choice (absent, present, edited by
// hand). nginx is driven with its default `-t` / `-s reload` semantics, only pointed at this prefix.
import { execa } from 'execa';
import { join } from 'node:path';
import { NGINX_BIN, nginxPorts, startNginx, type Nginx } from './nginx.js';

export interface StockNginx extends Nginx {
  /** Port of the production site (sites-enabled/default); the preview listener is `previewPort`. */
  prodPort: number;
  previewPort: number;
  confD(name: string): string;
  /** `switch.test` / `switch.reload` for this instance: plain `nginx -t` / `nginx -s reload` on its prefix. */
  testArgv: string[];
  reloadArgv: string[];
  /** Names in a directory of the prefix (dot files included), sorted. */
  ls(rel: string): Promise<string[]>;
}

export interface StockNginxOptions {
  /** conf.d files present at start (name → content); any other conf.d file is absent. */
  confD?: Record<string, string>;
  /** sites-enabled/default's `location /` body, given the ports (default: Debian's welcome page). */
  site?: (ports: { prod: number; preview: number }) => string;
}

/** The production site of a host that already runs the app: `/` goes to `upstream backend`. */
export const PROXY_TO_BACKEND = () => 'proxy_pass http://backend;';

export async function startStockNginx(opts: StockNginxOptions = {}): Promise<StockNginx> {
  const [prod, preview] = await nginxPorts(2);
  const site = opts.site?.({ prod: prod!, preview: preview! }) ?? 'return 200 "Welcome to nginx!\\n";';
  const files: Record<string, string> = {
    'mime.types': 'types {\n    text/html html htm;\n    text/plain txt;\n}\n',
    'sites-enabled/default': `server {\n    listen 127.0.0.1:${prod} default_server;\n    server_name _;\n    location / {\n        ${site}\n    }\n}\n`,
  };
  for (const [name, content] of Object.entries(opts.confD ?? {})) files[`conf.d/${name}`] = content;
  const n = await startNginx({
    mainConf: 'include modules-enabled/*.conf;\n',
    dirs: ['modules-enabled', 'conf.d', 'sites-enabled'],
    files,
    httpConf: `  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include mime.types;
  default_type application/octet-stream;
  gzip on;
  include conf.d/*.conf;
  include sites-enabled/*;`,
  });
  const base = [NGINX_BIN, ...n.nginxArgs, '-e', n.errorLogPath];
  return Object.assign(n, {
    prodPort: prod!,
    previewPort: preview!,
    confD: (name: string) => join(n.prefix, 'conf.d', name),
    testArgv: [...base, '-t'],
    reloadArgv: [...base, '-s', 'reload'],
    async ls(rel: string) {
      const r = await execa('ls', ['-A', join(n.prefix, rel)]);
      return r.stdout.split('\n').filter(Boolean).sort();
    },
  });
}

/** The `preview:` and `switch:` sections for deployer on this tree (upstream backend in conf.d). */
export function stockSwitchYaml(n: StockNginx, o: { stateDir: string; verifyPath?: string; previewVerifyPath?: string; timeoutSeconds?: number; upstreamFile?: string; previewFile?: string }): string[] {
  return [
    `preview: { domain: preview.test, listen: "127.0.0.1:${n.previewPort}"${o.previewVerifyPath ? `, verifyPath: ${o.previewVerifyPath}` : ''} }`,
    'switch:',
    '  upstream: backend',
    `  file: ${n.confD(o.upstreamFile ?? 'backend.conf')}`,
    `  previewFile: ${n.confD(o.previewFile ?? 'app-preview.conf')}`,
    `  test: ${JSON.stringify(n.testArgv)}`,
    `  reload: ${JSON.stringify(n.reloadArgv)}`,
    `  verify: { url: "http://127.0.0.1:${n.prodPort}${o.verifyPath ?? '/'}", timeoutSeconds: ${o.timeoutSeconds ?? 10} }`,
    `  stateDir: ${o.stateDir}`,
  ];
}
