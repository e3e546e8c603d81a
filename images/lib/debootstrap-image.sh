# Shared by builder-image scripts (sourced, not run): a Debian root file system from debootstrap (no image registry
# here), trimmed and `docker import`ed. images/pacman uses it; images/debian still carries its own copy of these steps
# (its recipe hash would change with it) and can switch on its next recipe change.

# The package list of a packages.txt: comments and blank lines dropped, comma-separated for debootstrap --include.
kiln_image_packages() {
  grep -v '^\s*#' "$1" | grep -v '^\s*$' | paste -sd, -
}

# kiln_image_debootstrap <debian-arch> <suite> <mirror> <packages,...> <rootfs> <log>
kiln_image_debootstrap() {
  local arch=$1 suite=$2 mirror=$3 packages=$4 rootfs=$5 log=$6
  local cache=${KILN_TOOLS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools}/debootstrap-cache/$suite-$arch
  mkdir -p "$cache"
  debootstrap --variant=minbase --arch="$arch" --cache-dir="$cache" --include="$packages" \
    "$suite" "$rootfs" "$mirror" >"$log" 2>&1 || { tail -n 40 "$log"; return 1; }
}

# A build image is cattle: no apt cache, no docs, no lists (a build that uses apt runs apt-get update itself).
kiln_image_trim() {
  local rootfs=$1
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"*
}

# kiln_image_import <debian-arch> <rootfs> <tag> <label>...
kiln_image_import() {
  local arch=$1 rootfs=$2 tag=$3 platform
  shift 3
  case "$arch" in
    amd64) platform=linux/amd64 ;;
    i386) platform=linux/386 ;;
    arm64) platform=linux/arm64 ;;
    *) platform=linux/$arch ;;
  esac
  tar -C "$rootfs" -c . | docker import --platform "$platform" \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
    --change "LABEL $*" - "$tag" >/dev/null
}
