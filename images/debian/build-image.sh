#!/usr/bin/env bash
# Build one Debian builder image from debootstrap (no image registry here) and `docker import` it.
# usage: build-image.sh <arch> <suite> <tag> <mirror>
set -euo pipefail
arch=$1 suite=$2 tag=$3 mirror=$4
here=$(cd "$(dirname "$0")" && pwd)
packages=$(grep -v '^\s*#' "$here/packages.txt" | grep -v '^\s*$' | paste -sd, -)
cache=${KILN_TOOLS_DIR:-$here/../../.tools}/debootstrap-cache/$suite-$arch
mkdir -p "$cache"
work=$(mktemp -d /var/tmp/kiln-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "builder image $tag: debootstrap $suite/$arch from $mirror"
debootstrap --variant=minbase --arch="$arch" --cache-dir="$cache" --include="$packages" \
  "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 40 "$work/debootstrap.log"; exit 1; }

# Builds run as this unprivileged user (dpkg-buildpackage as non-root); uid 1000 matches the bind-mounted work dir.
chroot "$work/rootfs" useradd --create-home --uid 1000 --shell /bin/bash builder
# A build image is cattle: no apt cache, no docs, no lists (each build runs apt-get update itself).
chroot "$work/rootfs" apt-get clean
rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/usr/share/doc/"* "$work/rootfs/usr/share/man/"*
install -m 0755 "$here/kiln-build" "$work/rootfs/usr/local/bin/kiln-build"
install -m 0755 "$here/kiln-install-test" "$work/rootfs/usr/local/bin/kiln-install-test"
install -m 0755 "$here/../common/kiln-run-test" "$work/rootfs/usr/local/bin/kiln-run-test"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$work/rootfs/etc/apt/apt.conf.d/90kiln"

case "$arch" in
  amd64) platform=linux/amd64 ;;
  i386) platform=linux/386 ;;
  arm64) platform=linux/arm64 ;;
  *) platform=linux/$arch ;;
esac
tar -C "$work/rootfs" -c . | docker import --platform "$platform" \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
  --change "LABEL org.kiln.arch=$arch org.kiln.suite=$suite" - "$tag" >/dev/null
echo "builder image $tag: done"
