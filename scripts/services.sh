#!/usr/bin/env bash
# Installs and starts what deployer's tests and the local demo need, idempotently:
# Debian's docker.io, docker-registry, nginx, openssh-server, busybox-static (base images are
# built from scratch: there is no Docker Hub here), xmllint for JUnit validation, chromium for the
# browser test.
# Used by .ci/run and by the README's setup; safe to run again.
set -euo pipefail

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/sbin/dockerd ] || need_pkgs+=(docker.io)
[ -x /usr/bin/docker-registry ] || need_pkgs+=(docker-registry)
[ -x /usr/sbin/nginx ] || need_pkgs+=(nginx)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
have htpasswd || need_pkgs+=(apache2-utils)
have xmllint || need_pkgs+=(libxml2-utils)
have git || need_pkgs+=(git)
have gcc || need_pkgs+=(gcc libc6-dev)
# switch.method: dynamic (reload-free switches) needs nginx's Lua module.
[ -e /usr/lib/nginx/modules/ngx_http_lua_module.so ] || need_pkgs+=(libnginx-mod-http-lua)
have jq || need_pkgs+=(jq)   # examples/jenkins read --json output with it
# The browser test of `deployer serve` (test/e2e/serve-browser.test.ts) drives Debian's chromium
# headless through playwright-core; nothing downloads a browser. fonts-dejavu-core: legible text
# in docs/serve.png.
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need_pkgs+=(fonts-dejavu-core)
# An independent Marathon client for test/integration/marathon-standin-python.test.ts.
dpkg -s python3-marathon >/dev/null 2>&1 || need_pkgs+=(python3-marathon)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "services: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Debian's nginx package may start a system instance on :80 where an init system exists; tests
# run their own prefixes and ports, so a system instance is harmless and left alone.

if ! docker info >/dev/null 2>&1; then
  echo "services: starting dockerd"
  mkdir -p /var/log
  # Stale pid files from a killed daemon stop a new one from starting.
  rm -f /var/run/docker.pid /run/docker/containerd/containerd.pid 2>/dev/null || true
  nohup /usr/sbin/dockerd >/var/log/deployer-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "services: dockerd did not start; see /var/log/deployer-dockerd.log" >&2; tail -20 /var/log/deployer-dockerd.log >&2; exit 1; }
fi

# Marathon stand-in agents (test/support/marathon-standin/agents.ts): named hosts on their own loopback
# addresses, so tasks, upstream files and nginx deal in host names as on a real cluster.
for entry in "127.0.0.2 agent-1.marathon.test" "127.0.0.3 agent-2.marathon.test"; do
  grep -qE "^${entry%% *}[[:space:]]+${entry#* }\b" /etc/hosts 2>/dev/null || echo "$entry" >> /etc/hosts
done

"$(dirname "$0")/base-image.sh"
# Swarm mode is left to the tests that need it (test/support/swarm.ts turns it on and off again);
# an engine that is a swarm node already serves everything here, so it is only reported.
swarm=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
echo "services: ready (docker $(docker version --format '{{.Server.Version}}'), swarm ${swarm})"
