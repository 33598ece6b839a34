#!/usr/bin/env bash
# The whole flow on this machine, with the embedded default (local Docker engine + local nginx):
#   full-build → change → delta-build → test-image → deploy (preview) → switch → change again →
#   delta-build → test-image → deploy → switch → rollback → status, history.
# Everything lives in a temp dir and on loopback ports; containers, networks, images of both
# repositories, nginx and the temp dir are removed at the end, and the demo fails (exit 1) naming
# what it could not remove (pass --keep to leave them running and look around).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
keep=false
[ "${1:-}" = "--keep" ] && keep=true

docker info >/dev/null 2>&1 || { echo "demo: the Docker engine is not running; run: bash scripts/services.sh" >&2; exit 2; }
bash "$here/scripts/base-image.sh"
# Build from the current sources (a stale dist/ would run yesterday's deployer). DEPLOYER_DEMO_BIN
# runs another build instead (test/e2e/demo.test.ts runs a private one, never rewriting dist/).
bin=${DEPLOYER_DEMO_BIN:-}
if [ -z "$bin" ]; then
  (cd "$here" && npm run --silent build)
  bin="$here/bin/deployer"
fi

work=$(mktemp -d /tmp/deployer-demo.XXXXXX)
suffix=${work##*.}
app=demo-$(printf %s "$suffix" | tr "[:upper:]" "[:lower:]" | tr -dc "a-z0-9")
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
preview_port=$(free_port)
ngx="$work/nginx"
nginx_cmd=(nginx -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/logs/error.log")

deployer() { echo; echo "\$ deployer $*"; node "$bin" --config "$work/deployer.yaml" "$@"; }
git_app() { git -C "$work/app" -c user.name=demo -c user.email=demo@example.invalid "$@"; }

# Removes everything the demo made, and says so loudly (exit 1) if anything is left: containers
# (environments carry deployer.app=$app; build and test containers and networks are named after
# $app), every tag of both image repositories, nginx, the temp dir.
leftovers() {
  docker ps -a --filter "label=deployer.app=$app" --format 'container {{.Names}}'
  docker ps -a --filter "name=$app" --format 'container {{.Names}}'
  docker network ls --filter "name=$app" --format 'network {{.Name}}'
  docker images --filter "reference=deployer-demo/$app" --format 'image {{.Repository}}:{{.Tag}}'
  docker images --filter "reference=deployer-demo/$app-full" --format 'image {{.Repository}}:{{.Tag}}'
  docker images -a --filter "label=deployer.app=$app" --format 'image {{.ID}} (untagged, labelled deployer.app=$app)'
  [ ! -e "$work" ] || echo "directory $work"
}
cleanup() {
  local status=$?
  if $keep; then
    echo; echo "demo: kept everything in $work (nginx on 127.0.0.1:$port, preview on 127.0.0.1:$preview_port)"
    return
  fi
  local pid
  pid=$(cat "$ngx/nginx.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    "${nginx_cmd[@]}" -s quit 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then echo "demo: nginx (pid $pid) did not stop" >&2; status=1; fi
  fi
  local ids nets tags
  ids=$( (docker ps -aq --filter "label=deployer.app=$app"; docker ps -aq --filter "name=$app") | sort -u)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null || status=1
  nets=$(docker network ls -q --filter "name=$app")
  [ -z "$nets" ] || docker network rm $nets >/dev/null || status=1
  # By tag, deltas first: removing the last tag of a full image deletes it once its deltas (child
  # images) are gone, with the untagged layers under it. Removing by id would refuse a parent.
  tags=$( (docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=deployer-demo/$app"
           docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=deployer-demo/$app-full") | grep -v ':<none>$' || true)
  [ -z "$tags" ] || docker rmi $tags >/dev/null || status=1
  rm -rf "$work" || status=1
  local left
  left=$(leftovers | sort -u)
  if [ -n "$left" ]; then
    echo "demo: clean-up could not remove everything the demo made:" >&2
    echo "$left" | sed 's/^/  /' >&2
    status=1
  fi
  exit "$status"
}
trap cleanup EXIT
echo "demo: app $app, working in $work"

# The app: the fixture web app in a fresh git repository.
mkdir -p "$work/app" "$ngx/conf.d" "$ngx/logs" "$work/state"
cp -a "$here/fixtures/webapp/." "$work/app/"
git_app init -q -b main && git_app add -A && git_app commit -qm "webapp v1"

# The load balancer: a local nginx whose upstream include deployer rewrites.
cat > "$ngx/nginx.conf" <<NGINX
worker_processes 2;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $ngx/tmp-body; proxy_temp_path $ngx/tmp-proxy;
  fastcgi_temp_path $ngx/tmp-fcgi; uwsgi_temp_path $ngx/tmp-uwsgi; scgi_temp_path $ngx/tmp-scgi;
  include conf.d/backend.conf;
  include conf.d/preview.conf;
  server {
    listen 127.0.0.1:$port;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
NGINX
echo 'upstream backend { server 127.0.0.1:9; }' > "$ngx/conf.d/backend.conf"
: > "$ngx/conf.d/preview.conf"
"${nginx_cmd[@]}"

q() { printf '"%s"' "$1"; }
cat > "$work/deployer.yaml" <<YAML
app: $app
images: { full: deployer-demo/$app-full, delta: deployer-demo/$app }
build: { context: ./app, appDir: /app }
changes:
  infra: [Dockerfile, .dockerignore]
  deps: [deps.lock]
  ignore: [README.md, notes/**]
  depsDir: /app/deps
  depsInstall: mkdir -p /app/deps && cp /app/deps.lock /app/deps/installed.txt && echo "deps installed from deps.lock"
test:
  command: grep -q webapp /app/index.html && test -f /app/deps/installed.txt
  smoke: [{ path: /, status: 200, body: webapp }]
  timeoutSeconds: 60
deploy:
  scheduler: docker
  instances: 2
  port: 8000
  healthCheck: { path: /, intervalSeconds: 0.5, timeoutSeconds: 2, gracePeriodSeconds: 0 }
  timeoutSeconds: 60
preview: { domain: preview.localhost, listen: $(q "127.0.0.1:$preview_port") }
switch:
  upstream: backend
  file: $ngx/conf.d/backend.conf
  previewFile: $ngx/conf.d/preview.conf
  test: [nginx, -p, $(q "$ngx/"), -c, $(q "$ngx/nginx.conf"), -e, $(q "$ngx/logs/error.log"), -t]
  reload: [nginx, -p, $(q "$ngx/"), -c, $(q "$ngx/nginx.conf"), -e, $(q "$ngx/logs/error.log"), -s, reload]
  hosts: [local]
  verify: { url: $(q "http://127.0.0.1:$port/"), header: X-Revision, timeoutSeconds: 20 }
  keep: 3
  stateDir: $work/state
state: { dir: $work/state }
YAML

serve() { echo "  production → $(curl -s -D - "http://127.0.0.1:$port/" | tr -d '\r' | awk '/^X-Revision/{r=$2} /^$/{b=1;next} b{print; exit}' ) "; }

deployer full-build
echo '<h1>webapp v2</h1>' > "$work/app/index.html" && git_app commit -qam "v2: new front page"
v2=$(git_app rev-parse HEAD)
deployer changes HEAD~1
deployer delta-build
deployer test-image "$v2" --junit "$work/junit-v2.xml"
deployer deploy "$v2"
sha12=${v2:0:12}
echo "  preview $sha12.preview.localhost → $(curl -s -H "Host: $sha12.preview.localhost" "http://127.0.0.1:$preview_port/")"
deployer switch "$v2" --yes
serve

echo 'deps: 2' >> "$work/app/deps.lock" && echo '<h1>webapp v3</h1>' > "$work/app/index.html" && git_app commit -qam "v3: deps bump"
v3=$(git_app rev-parse HEAD)
deployer delta-build
deployer test-image "$v3" --junit "$work/junit-v3.xml"
deployer deploy "$v3"
deployer switch "$v3" --yes
serve
deployer rollback --yes
serve
deployer status
deployer history
echo; echo "demo: done — full build, two delta builds, tests in the image, two environments, two switches and a rollback."
