#!/usr/bin/env bash
# Build the Kiln runtime image for docker-compose.yml: `kiln-runtime:<content hash>`, also tagged `kiln-runtime:latest`.
# No image registry is reachable, so like the builder images it is made from debootstrap (bookworm, minbase) and
# `docker import`: the runtime Debian packages (images/runtime/packages.txt, PostgreSQL 15 among them), this host's Node
# binary, the Temporal CLI, the Temporal server, its SQL schema tool and the Temporal Web UI server from .tools/bin
# with the server's PostgreSQL schema files (all built by scripts/setup.sh, step 3c), and the compiled project in
# /opt/kiln (dist/, bin/, images/, examples/, package.json, and this checkout's node_modules pruned to the production
# dependencies: the modules the tests ran against, no network). One image for every service of docker-compose.yml:
# Kiln's processes and the Temporal side (postgres, temporal-schema, temporal, temporal-namespace, temporal-ui).
#
# The tag is 12 hex of a SHA-256 over everything that goes in (those files, the binaries, the schema files, npm's record
# of the installed modules, this recipe): a run with nothing changed finds the tag and only re-points `latest` at it.
# Run `npm run build` first.
# Not part of scripts/setup.sh (it takes a minute or two); run it by hand before `docker-compose up`.
#
# usage: scripts/build-runtime-image.sh [--print-tag]    (--print-tag: print the tag it would build, build nothing)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib/mirror.sh
source scripts/lib/temporal-stack.sh

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
temporal_stack_paths "$tools"
for bin in "$temporal_server_bin" "$temporal_sql_tool_bin" "$temporal_ui_server_bin"; do
  [ -x "$bin" ] || die "$bin is missing: run \`npm run setup\` first (it builds the Temporal server, SQL tool and UI server)"
done
schema_src=$temporal_schema_dir/postgresql/v12
[ -f "$temporal_schema_dir/.complete" ] && [ -d "$schema_src/temporal/versioned" ] && [ -d "$schema_src/visibility/versioned" ] \
  || die "the Temporal PostgreSQL schema files are missing in $temporal_schema_dir: run \`npm run setup\` first"
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
    sha256sum "$node_bin" "$temporal_bin" "$temporal_server_bin" "$temporal_sql_tool_bin" "$temporal_ui_server_bin" \
      scripts/build-runtime-image.sh scripts/lib/mirror.sh scripts/lib/temporal-stack.sh | sed 's/  .*\// /'
    (cd "$schema_src" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
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
# postgresql-15's postinst made a `main` cluster: the postgres service makes its own in its volume (kiln-temporal).
chroot "$rootfs" pg_dropcluster 15 main 2>/dev/null || true
rm -rf "$rootfs/etc/postgresql/15/main" "$rootfs/var/lib/postgresql/15"
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/usr/share/doc/"* "$rootfs/usr/share/man/"* "$rootfs/usr/share/locale/"*

# 4. Node, the Temporal CLI, server, SQL tool and UI server with the schema files, the kiln command, the healthcheck and
#    the Temporal side's entry (kiln-temporal).
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
install -m 0755 "$temporal_bin" "$rootfs/usr/local/bin/temporal"
install -m 0755 "$temporal_server_bin" "$rootfs/usr/local/bin/temporal-server"
install -m 0755 "$temporal_sql_tool_bin" "$rootfs/usr/local/bin/temporal-sql-tool"
install -m 0755 "$temporal_ui_server_bin" "$rootfs/usr/local/bin/temporal-ui-server"
mkdir -p "$rootfs/usr/local/share/temporal/schema/postgresql"
cp -r "$schema_src" "$rootfs/usr/local/share/temporal/schema/postgresql/"
chmod -R a+rX,go-w "$rootfs/usr/local/share/temporal"
install -m 0755 images/runtime/kiln-temporal "$rootfs/usr/local/bin/kiln-temporal"
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
# The example tree also as a git repository, /opt/kiln/examples/ports.git (deploy/kiln.compose.yaml's `example`): a
# plain directory is imported into <dataDir>/git by the process that asks for its head, the API on `kiln push`, and
# the compose API mounts the data dir read-only. One commit on main, author and date fixed: the same files make the
# same commit, so every image of this content offers the same commit to push.
git init --quiet --bare --initial-branch=main "$app/examples/ports.git"
(export GIT_DIR="$app/examples/ports.git" GIT_WORK_TREE="$root/examples/ports" GIT_INDEX_FILE="$work/ports.index" \
   GIT_AUTHOR_NAME=Kiln GIT_AUTHOR_EMAIL=kiln@localhost GIT_COMMITTER_NAME=Kiln GIT_COMMITTER_EMAIL=kiln@localhost \
   GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'
 git add -A && git commit --quiet -m 'The example ports tree (examples/ports), as built into the runtime image') \
  || die "cannot make the example tree's git repository"

# 6. Smoke test inside the new root: the versions, and the Temporal SDK's native module loads with the image's libc.
chroot "$rootfs" /usr/local/bin/node --version >/dev/null || die "node does not run in the image"
chroot "$rootfs" /usr/local/bin/temporal --version >/dev/null || die "temporal does not run in the image"
for bin in temporal-server temporal-sql-tool temporal-ui-server; do
  chroot "$rootfs" "/usr/local/bin/$bin" --help >/dev/null 2>&1 || die "$bin does not run in the image"
done
chroot "$rootfs" /usr/lib/postgresql/15/bin/postgres --version >/dev/null || die "PostgreSQL 15 is not in the image"
chroot "$rootfs" /bin/sh -c 'cd /opt/kiln && node -e "require(\"@temporalio/worker\"); require(\"./dist/domain/config\")"' \
  || die "the Temporal SDK does not load in the image"

# 7. Import.
say "importing $tag"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'ENV NODE_ENV=production' --change 'WORKDIR /opt/kiln' \
  --change 'CMD ["kiln", "--help"]' \
  --change "LABEL org.kiln.runtime-hash=$hash org.kiln.node=$("$node_bin" --version) org.kiln.temporal-server=$temporal_server_version org.kiln.temporal-ui-server=$temporal_ui_version" \
  - "$tag" >/dev/null
docker tag "$tag" kiln-runtime:latest
say "$tag built (tagged kiln-runtime:latest): $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%d MB", $1/1e6}')"
