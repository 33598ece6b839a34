#!/usr/bin/env bash
# Builds the base image every fixture starts FROM: a static busybox on an empty root, since no
# registry with public images is reachable. Idempotent: skipped when the image exists.
set -euo pipefail
image="${1:-deployer-base/busybox:latest}"
if docker image inspect "$image" >/dev/null 2>&1; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc" "$work/rootfs/root" "$work/rootfs/var/www"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
mkdir -p "$work/rootfs/usr/bin" "$work/rootfs/sbin" "$work/rootfs/usr/sbin"
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/rootfs/etc/passwd"
echo 'root:x:0:' > "$work/rootfs/etc/group"
chmod 1777 "$work/rootfs/tmp"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/bin:/usr/bin:/sbin:/usr/sbin\nCMD ["/bin/sh"]\n' > "$work/Dockerfile"
DOCKER_BUILDKIT=0 /usr/bin/docker build -q -t "$image" "$work" >/dev/null
echo "base-image: built $image"
