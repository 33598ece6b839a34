#!/usr/bin/env bash
# Builds the base image every fixture starts FROM: a static busybox plus the fixture HTTP server
# (fixtures/revision-server) on an empty root, since no registry with public images is reachable.
# Idempotent: skipped when the image exists with the same inputs (label deployer.base-hash).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
image="${1:-deployer-base/busybox:latest}"
src="$here/fixtures/revision-server/server.c"
hash=$( (sha256sum "$src" "$0" /bin/busybox | sha256sum) | cut -c1-16)
current=$(docker image inspect -f '{{ index .Config.Labels "deployer.base-hash" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$hash" ]; then exit 0; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/usr/bin" "$root/sbin" "$root/usr/sbin" "$root/var/www" "$root/app"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# -static: the image has no libc. getaddrinfo's static-link warning is irrelevant (no name lookups).
gcc -O2 -static -pthread -D_GNU_SOURCE -o "$root/bin/revision-server" "$src" 2>/dev/null
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
chmod 1777 "$root/tmp"
tar -C "$root" -cf "$work/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/bin:/usr/bin:/sbin:/usr/sbin\nLABEL deployer.base-hash=%s\nCMD ["/bin/sh"]\n' "$hash" > "$work/Dockerfile"
DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$image" "$work" >/dev/null
echo "base-image: built $image ($hash)"
