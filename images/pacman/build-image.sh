#!/usr/bin/env bash
# Build one pacman builder image: Debian (debootstrap) with Debian's pacman and makepkg, since no Arch mirror is
# reachable here (there is no Arch root file system to start from); `docker import`ed. The debootstrap, trim and
# import steps are images/debian/build-image.sh's (kept apart: sharing them would change the Debian recipe hash).
# usage: build-image.sh <pacman-arch: x86_64|i686|aarch64> <suite> <tag> <mirror>
# Tag: kiln-builder:pacman-<suite>-<arch>-<first 12 hex of sha256(cat build-image.sh packages.txt kiln-build
# kiln-install-test ../common/kiln-run-test)>
set -euo pipefail
arch=$1 suite=$2 tag=$3 mirror=$4
here=$(cd "$(dirname "$0")" && pwd)
# CHOST is the Debian toolchain's own triplet (its gcc, binutils), not Arch's *-pc-linux-gnu: that is the compiler here.
case "$arch" in
  x86_64) debian_arch=amd64 platform=linux/amd64 chost=x86_64-linux-gnu ;;
  i686) debian_arch=i386 platform=linux/386 chost=i686-linux-gnu ;;
  aarch64) debian_arch=arm64 platform=linux/arm64 chost=aarch64-linux-gnu ;;
  *) echo "build-image.sh: unknown pacman arch $arch (x86_64, i686, aarch64)" >&2; exit 2 ;;
esac
packages=$(grep -v '^\s*#' "$here/packages.txt" | grep -v '^\s*$' | paste -sd, -)
cache=${KILN_TOOLS_DIR:-$here/../../.tools}/debootstrap-cache/$suite-$debian_arch
mkdir -p "$cache"
work=$(mktemp -d /var/tmp/kiln-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs

echo "builder image $tag: debootstrap $suite/$debian_arch from $mirror, with pacman and makepkg"
debootstrap --variant=minbase --arch="$debian_arch" --cache-dir="$cache" --include="$packages" \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 40 "$work/debootstrap.log"; exit 1; }

# makepkg refuses root: builds run as this unprivileged user, uid 1000 like the Debian builder's.
chroot "$rootfs" useradd --create-home --uid 1000 --shell /bin/bash builder
# A build image is cattle: no apt cache, no docs, no lists (nothing here uses apt after this).
chroot "$rootfs" apt-get clean
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"*

# An initialised, empty pacman local database: pacman sees none of the Debian packages (hence makepkg --nodeps; the
# toolchain is implied) and only ever installs what this push built.
mkdir -p "$rootfs/var/lib/pacman/local" "$rootfs/var/lib/pacman/sync" "$rootfs/var/cache/pacman/pkg"
echo 9 >"$rootfs/var/lib/pacman/local/ALPM_DB_VERSION"
# pacman.conf: kiln-build deps appends one section per WIP lane; nothing else is a repository.
cat >"$rootfs/etc/pacman.conf" <<CONF
# Kiln pacman builder image ($arch). No Arch mirror: the only repositories are this push's WIP lanes, which
# kiln-build deps appends below.
[options]
Architecture = $arch
HoldPkg = pacman
CheckSpace
CONF

# Debian's makepkg.conf builds .pkg.tar.gz for the Debian host arch: Arch's extension, and this image's arch.
# (makepkg 6.0 reads no makepkg.conf.d: the override is appended; the last assignment wins.)
cat >>"$rootfs/etc/makepkg.conf" <<CONF

#########################################################################
# Kiln builder image overrides
#########################################################################
CARCH="$arch"
CHOST="$chost"
CFLAGS="-O2 -pipe"
CXXFLAGS="\$CFLAGS"
LDFLAGS="-Wl,-O1,--sort-common,--as-needed"
PKGEXT='.pkg.tar.zst'
SRCEXT='.src.tar.zst'
CONF
install -m 0755 "$here/kiln-build" "$rootfs/usr/local/bin/kiln-build"
install -m 0755 "$here/kiln-install-test" "$rootfs/usr/local/bin/kiln-install-test"
install -m 0755 "$here/../common/kiln-run-test" "$rootfs/usr/local/bin/kiln-run-test"

tar -C "$rootfs" -c . | docker import --platform "$platform" \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
  --change "LABEL org.kiln.format=pacman org.kiln.arch=$arch org.kiln.suite=$suite" - "$tag" >/dev/null
echo "builder image $tag: done"
