// nginx with Debian's Lua module loaded (libnginx-mod-http-lua, scripts/services.sh installs it),
// serving `upstream backend` from conf.d/backend.conf: a load balancer for switch.method dynamic.
import { startNginx, type Nginx } from './nginx.js';
import { INITIAL_UPSTREAM } from './switch-world.js';

export const LUA_MODULES = 'load_module /usr/lib/nginx/modules/ndk_http_module.so;\nload_module /usr/lib/nginx/modules/ngx_http_lua_module.so;\n';

export function startLuaLbNginx(opts: { withModule?: boolean } = {}): Promise<Nginx> {
  return startNginx({
    mainConf: opts.withModule === false ? '' : LUA_MODULES,
    httpConf: ([port]) => `  include conf.d/backend.conf;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
    }
  }
`,
    files: { 'conf.d/backend.conf': INITIAL_UPSTREAM },
  });
}
