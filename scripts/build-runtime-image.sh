#!/usr/bin/env bash
# Build the Kiln runtime image for docker-compose.yml: `kiln-runtime:<content hash>`, also tagged `kiln-runtime:latest`.
# No image registry is reachable, so like the builder images it is made from debootstrap (bookworm, minbase) and
# `docker import`: the runtime Debian packages (images/runtime/packages.txt), this host's Node binary, the Temporal CLI
# from .tools/bin, and the compiled project in /opt/kiln (dist/, bin/, images/, examples/, package.json, and this
# checkout's node_modules pruned to the production dependencies: the modules the tests ran against, no network).
#
# The tag is 12 hex of a SHA-256 over everything that goes in (those files, both binaries, npm's record of the installed
# modules, this recipe): a run with nothing changed finds the tag and only re-points `latest` at it.
# Run `npm run build` first.
# Not part of scripts/setup.sh (it takes a minute or two); run it by hand before `docker-compose up`.
#
# usage: scripts/build-runtime-image.sh [--print-tag]    (--print-tag: print the tag it would build, build nothing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib/mirror.sh

say() { printf '\033[1m[runtime image]\033[0m %s\n' "$*"; }
die() { printf 'build-runtime-image: %s\n' "$*" >&2; exit 1; }

print_tag=false
case "${1:-}" in
  --print-tag) print_tag=true ;;
  '') ;;
  *) die "usage: $0 [--print-tag]" ;;
esac

suite=bookworm
tools=${KILN_TOOLS_DIR:-$root/.tools}
app_dirs=(activities api cli domain workers workflows)   # compiled into dist/<dir>; dist/test is left out

# 1. What goes in must be there, and dist/ must be the build of the sources as they are now.
for entry in workers/orchestrator workers/build workers/signer api/server cli/kiln; do
  [ -f "dist/$entry.js" ] || die "dist/$entry.js is missing: run \`npm run build\` first"
done
stale=()
while IFS= read -r -d '' ts; do
  js="dist/${ts%.ts}.js"
  if [ ! -f "$js" ] || [ "$ts" -nt "$js" ]; then stale+=("$ts"); fi
done < <(find "${app_dirs[@]}" -name '*.ts' ! -name '*.d.ts' -print0)
if [ ${#stale[@]} -gt 0 ]; then
  die "dist/ is older than ${#stale[@]} source file(s) (${stale[*]:0:3}...): run \`npm run build\` first"
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  die "node_modules is missing or older than package-lock.json: run \`npm run setup\` first"
fi

temporal_bin=${KILN_TEMPORAL_BIN:-$tools/bin/temporal}
[ -x "$temporal_bin" ] || die "the Temporal CLI is missing at $temporal_bin: run \`npm run setup\` first"
temporal_bin=$(readlink -f "$temporal_bin")
node_bin=$(readlink -f "$(command -v node)") || die "node is not on PATH"
for tool in docker debootstrap npm sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run \`npm run setup\` first"
done
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: run \`npm run setup\` first"

# Node: copied as is, so it must be a glibc build for this machine's architecture that needs only the C/C++ runtime
# libraries (the image's own copies are checked again, with ldd inside the image, below).
[ "$(uname -m)" = x86_64 ] || die "only amd64 hosts are supported (this is $(uname -m))"
node_libs=$(ldd "$node_bin" 2>&1) || die "cannot ldd $node_bin: $node_libs"
while read -r lib _; do
  case "$lib" in
    linux-vdso.so.*|/lib64/ld-linux-x86-64.so.2|libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|libstdc++.so.*|libgcc_s.so.*) ;;
    *) die "$node_bin links $lib, which the runtime image does not have (a Node linked only against glibc and libstdc++ is needed, e.g. the nodejs .deb from NodeSource)" ;;
  esac
done <<<"$node_libs"

# 2. The content hash: every file that goes into /opt/kiln, the binaries, and the recipe itself.
app_files() {
  printf '%s\0' package.json package-lock.json node_modules/.package-lock.json bin/kiln.js
  find "${app_dirs[@]/#/dist/}" images examples -type f -print0
}
hash=$(
  {
    app_files | sort -z | xargs -0 sha256sum
    sha256sum "$node_bin" "$temporal_bin" scripts/build-runtime-image.sh scripts/lib/mirror.sh | sed 's/  .*\// /'
    echo "suite $suite"
  } | sha256sum | cut -c1-12
)
tag=kiln-runtime:$hash
if $print_tag; then echo "$tag"; exit 0; fi

if docker image inspect "$tag" >/dev/null 2>&1; then
  docker tag "$tag" kiln-runtime:latest
  say "$tag is already built (tagged kiln-runtime:latest)"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "building the image needs root (debootstrap, chroot): run it as root or with sudo"

work=$(mktemp -d /var/tmp/kiln-runtime.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
app=$rootfs/opt/kiln

# 3. The Debian userland.
mirror=$(debian_mirror)
packages=$(grep -v '^\s*#' images/runtime/packages.txt | grep -v '^\s*$' | paste -sd, -)
cache=$tools/debootstrap-cache/$suite-amd64
mkdir -p "$cache"
say "building $tag: debootstrap $suite/amd64 from $mirror"
debootstrap --variant=minbase --arch=amd64 --cache-dir="$cache" --include="$packages" \
  "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 40 "$work/debootstrap.log"; die "debootstrap failed"; }
chroot "$rootfs" apt-get clean
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/locale/"*

# 4. Node, the Temporal CLI, the kiln command and the healthcheck.
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
install -m 0755 "$temporal_bin" "$rootfs/usr/local/bin/temporal"
install -m 0755 images/runtime/kiln "$rootfs/usr/local/bin/kiln"
install -m 0755 images/runtime/kiln-healthcheck "$rootfs/usr/local/bin/kiln-healthcheck"
missing=$(chroot "$rootfs" ldd /usr/local/bin/node | grep 'not found' || true)
[ -z "$missing" ] || die "node needs libraries the image does not have: $missing"

# 5. The project: compiled code and what it reads at run time, then the node modules without the dev dependencies
#    (npm prune, offline) and without the Temporal core bridge's builds for other platforms.
mkdir -p "$app/dist"
cp -a package.json package-lock.json bin images examples node_modules "$app/"
for dir in "${app_dirs[@]}"; do cp -a "dist/$dir" "$app/dist/"; done
say "pruning node modules to the production dependencies (npm prune --omit=dev)"
(cd "$app" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1) \
  || { tail -n 40 "$work/npm.log"; die "npm prune failed"; }
find "$app/node_modules/@temporalio/core-bridge/releases" -mindepth 1 -maxdepth 1 ! -name x86_64-unknown-linux-gnu -exec rm -rf {} +
find "$app/node_modules" -mindepth 1 -type d -empty -delete

# 6. Smoke test inside the new root: the versions, and the Temporal SDK's native module loads with the image's libc.
chroot "$rootfs" /usr/local/bin/node --version >/dev/null || die "node does not run in the image"
chroot "$rootfs" /usr/local/bin/temporal --version >/dev/null || die "temporal does not run in the image"
chroot "$rootfs" /bin/sh -c 'cd /opt/kiln && node -e "require(\"@temporalio/worker\"); require(\"./dist/domain/config\")"' \
  || die "the Temporal SDK does not load in the image"

# 7. Import.
say "importing $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'ENV NODE_ENV=production' --change 'WORKDIR /opt/kiln' \
  --change 'CMD ["kiln", "--help"]' \
  --change "LABEL org.kiln.runtime-hash=$hash org.kiln.node=$("$node_bin" --version)" - "$tag" >/dev/null
docker tag "$tag" kiln-runtime:latest
say "$tag built (tagged kiln-runtime:latest): $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}')"
