#!/usr/bin/env bash
# Bring this machine to a working Kiln: Debian packages, a running Docker engine, the Temporal CLI, the Temporal
# server, SQL tool and UI server of the docker-compose deployment, builder images, node modules. Idempotent: every step checks first and skips what is already there, so a second run takes seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/lib/mirror.sh

tools=${KILN_TOOLS_DIR:-$root/.tools}
temporal_version=v1.5.1   # newest temporalio/cli tag without replace directives (see docs/ARCHITECTURE.md)
suites=(bookworm)
arches=(amd64 i386 arm64)   # arm64 runs emulated (qemu-user-static through binfmt_misc, below)
pacman_arches=(x86_64 i686)   # pacman builder images (Arch arch names)
apt_packages=(docker.io btrfs-progs iptables iproute2 procps debootstrap minisign gnupg apt-utils dpkg-dev rsync xz-utils curl git ca-certificates
  pacman-package-manager makepkg libarchive-tools zstd  # the pacman format on the host: repo-add, reading packages
  qemu-user-static binfmt-support  # arm64 builds, emulated
  docker-compose  # the docker-compose deployment and its end-to-end test (npm run test:e2e)
  chromium fonts-dejavu-core  # chromium: the web UI's browser test (driven by playwright-core)
  reprepro  # npm run bench compares publishing with it (apt-ftparchive and dpkg-scanpackages come with apt-utils, dpkg-dev)
  exim4-daemon-light)  # /usr/sbin/sendmail for notification e-mail; its local delivery is what the tests read back

step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. Debian packages: install only the missing ones (dpkg-query is instant; apt-get update only when needed).
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Docker engine, its data root on btrfs: the engine then caps what one container writes (build.diskMb,
#    `--storage-opt size=`) with btrfs quota groups. (overlay2 would need xfs project quotas, which this kernel
#    lacks.) A sparse file, loop-mounted; dockerd (no systemd here) runs on it. A dockerd already running on another
#    data root is restarted onto this one (its images stay where they were).
docker_root=${KILN_DOCKER_ROOT:-/var/lib/kiln-docker}
docker_image_file=${KILN_DOCKER_ROOT_FILE:-/var/lib/kiln-docker.btrfs}
if ! mountpoint -q "$docker_root"; then
  if [ ! -f "$docker_image_file" ]; then
    step "making a btrfs file system for Docker's data root ($docker_image_file, sparse, 96 GiB at most)"
    as_root truncate -s 96G "$docker_image_file"
    as_root mkfs.btrfs -q "$docker_image_file"
  fi
  as_root mkdir -p "$docker_root"
  as_root mount -o loop "$docker_image_file" "$docker_root"
fi
# Quota groups on from the start: enabled later (by the engine's first capped container) over existing images, they
# stay "inconsistent" and btrfs does not enforce the caps at all until a rescan.
if ! as_root btrfs qgroup show "$docker_root" >/dev/null 2>&1; then
  step "enabling btrfs quota groups on $docker_root"
  as_root btrfs quota enable "$docker_root"
fi
if as_root btrfs qgroup show "$docker_root" 2>&1 | grep -q 'inconsistent'; then
  step "rescanning btrfs quota groups on $docker_root (inconsistent: caps would not hold)"
  as_root btrfs quota rescan -w "$docker_root" >/dev/null
fi
current_root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
if [ -n "$current_root" ] && [ "$current_root" != "$docker_root" ]; then
  step "restarting the Docker engine onto $docker_root (it ran on $current_root, where disk quotas do not work)"
  as_root pkill -x dockerd || true
  for _ in $(seq 1 30); do pgrep -x dockerd >/dev/null || break; sleep 1; done
fi
if ! docker info >/dev/null 2>&1; then
  step "starting the Docker engine (log: /var/log/kiln-dockerd.log)"
  as_root bash -c "nohup dockerd --data-root '$docker_root' --storage-driver btrfs >>/var/log/kiln-dockerd.log 2>&1 </dev/null &"
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not come up; see /var/log/kiln-dockerd.log" >&2; exit 1; }
fi

# 3. Temporal CLI (dev server with SQLite and the Web UI): a temporal on PATH wins; else build it once from the Go
#    module proxy into the git-ignored tools dir.
mkdir -p "$tools/bin"
if [ ! -x "$tools/bin/temporal" ]; then
  if command -v temporal >/dev/null 2>&1; then
    ln -sf "$(command -v temporal)" "$tools/bin/temporal"
  else
    step "building the Temporal CLI $temporal_version from its Go module (one time, a few minutes)"
    CGO_ENABLED=0 GOBIN="$tools/bin" go install "github.com/temporalio/cli/cmd/temporal@$temporal_version"
  fi
fi

# 3b. Emulated architectures: the kernel runs arm64 binaries through qemu-user-static once binfmt_misc knows it. With
#     the F (fix-binary) flag the kernel holds the interpreter open, so it works inside containers and debootstrap's
#     chroot too. No systemd here: mount binfmt_misc and enable the registration that binfmt-support installed.
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  step "registering qemu-user-static for arm64 (binfmt_misc)"
  as_root update-binfmts --enable qemu-aarch64
fi
grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
  || { echo "setup: the arm64 binfmt registration lacks the F flag, so containers cannot use it (see update-binfmts --display qemu-aarch64)" >&2; exit 1; }

# ─── 3c. The production Temporal stack of docker-compose.yml ──────────────────────────────────────────────────────────
#     The real Temporal server and its SQL schema tool (go.temporal.io/server, the server version the CLI above
#     embeds), that module's PostgreSQL schema files, and the Temporal Web UI server (the UI version the CLI pins).
#     go install names them `server`, `sql` and `server`: each module is built into a GOBIN of its own under the tools
#     dir, then renamed into $tools/bin (temporal-server, temporal-sql-tool, temporal-ui-server). Built once (cold, on
#     2 cores: the server about 9 minutes, the UI server about one); skipped when each binary is there and carries
#     the pinned module version (`go version -m` reads it from the binary). scripts/build-runtime-image.sh puts them
#     into the runtime image; npm start and npm test do not use them.
source scripts/lib/temporal-stack.sh   # the versions, and where they go in the tools dir
temporal_stack_paths "$tools"
# go_tools <module> <version> <package>=<installed name>...: go install the packages, unless every installed name is
# a binary of that module at that version already.
go_tools() {
  local module=$1 version=$2 pair need=false gobin pkgs=()
  shift 2
  for pair in "$@"; do
    [ "$(go version -m "$tools/bin/${pair#*=}" 2>/dev/null | awk '$1 == "mod" { print $2 "@" $3 }')" = "$module@$version" ] || need=true
    pkgs+=("$module/${pair%%=*}@$version")
  done
  $need || return 0
  step "building ${pkgs[*]} from the Go module proxy (one time; minutes)"
  gobin=$(mktemp -d "$tools/gobin.XXXXXX")
  CGO_ENABLED=0 GOBIN="$gobin" go install "${pkgs[@]}" || { rm -rf "$gobin"; exit 1; }
  for pair in "$@"; do
    local built=${pair%%=*}
    mv -f "$gobin/${built##*/}" "$tools/bin/${pair#*=}"
  done
  rm -rf "$gobin"
}
go_tools go.temporal.io/server "$temporal_server_version" "cmd/server=${temporal_server_bin##*/}" "cmd/tools/sql=${temporal_sql_tool_bin##*/}"
go_tools github.com/temporalio/ui-server/v2 "$temporal_ui_version" "cmd/server=${temporal_ui_server_bin##*/}"
if [ ! -f "$temporal_schema_dir/.complete" ]; then
  step "copying the PostgreSQL schema of go.temporal.io/server@$temporal_server_version into $temporal_schema_dir"
  module_dir=$(go mod download -json "go.temporal.io/server@$temporal_server_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$module_dir/schema/postgresql/v12/temporal/versioned" ] || { echo "setup: no PostgreSQL schema in go.temporal.io/server@$temporal_server_version ($module_dir)" >&2; exit 1; }
  rm -rf "$temporal_schema_dir" && mkdir -p "$temporal_schema_dir/postgresql"
  cp -r "$module_dir/schema/postgresql/v12" "$temporal_schema_dir/postgresql/"
  chmod -R u+w "$temporal_schema_dir"   # the module cache is read-only
  touch "$temporal_schema_dir/.complete"
fi
# ─── end of 3c ─────────────────────────────────────────────────────────────────────────────────────────────────────────

# 3d. Test counterparts built from Go modules, once, into the tools dir: a real forge (Gitea: its webhooks and commit
#     status API, test/e2e/gitea.e2e.test.ts; about 6 minutes cold) and a real S3 server (versitygw, posix backend:
#     the S3 publish target's tests; about 2.5 minutes cold).
source scripts/lib/gitea.sh
build_gitea "$tools"
versitygw_version=v1.8.0
go_tools github.com/versity/versitygw "$versitygw_version" "cmd/versitygw=versitygw"

# 4. Builder images, tagged by a hash of their recipe: a changed recipe gets a new tag and is rebuilt.
#    builder_image <family> <build script> <recipe hash> <suite> <arch>: tag kiln-builder:<family><suite>-<arch>-<hash>
#    (family "" for Debian, "pacman-" for pacman); images of older recipes of the same family, suite and arch are
#    half a gigabyte each: removed (one a container still uses stays; docker refuses without --force). The patterns
#    are anchored, so neither family's cleanup matches the other's tags.
builder_image() {
  local family=$1 script=$2 hash=$3 suite=$4 arch=$5 tag old
  tag="kiln-builder:$family$suite-$arch-$hash"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    step "building builder image $tag (debootstrap, a few minutes; longer for an emulated arch)"
    KILN_TOOLS_DIR="$tools" as_root "$script" "$arch" "$suite" "$tag" "$mirror"
  fi
  for old in $(docker image ls "kiln-builder" --format '{{.Tag}}' | grep -E "^$family$suite-$arch-[0-9a-f]{12}\$" | grep -v -- "-$hash\$" || true); do
    if docker image rm "kiln-builder:$old" >/dev/null 2>&1; then step "removed the outdated builder image kiln-builder:$old"; fi
  done
}
recipe_hash=$(cat images/debian/build-image.sh images/debian/packages.txt images/debian/kiln-build images/debian/kiln-install-test images/common/kiln-run-test | sha256sum | cut -c1-12)
# The pacman images (Debian with Debian's pacman and makepkg: no Arch mirror is reachable): the formula
# images/pacman/build-image.sh states, domain/builder-image.ts and test/images/pacman-builder.int.test.ts compute.
pacman_recipe_hash=$(cat images/pacman/build-image.sh images/pacman/packages.txt images/pacman/kiln-build images/pacman/kiln-install-test images/common/kiln-run-test | sha256sum | cut -c1-12)
mirror=$(debian_mirror)
for suite in "${suites[@]}"; do
  for arch in "${arches[@]}"; do builder_image "" images/debian/build-image.sh "$recipe_hash" "$suite" "$arch"; done
  for arch in "${pacman_arches[@]}"; do builder_image pacman- images/pacman/build-image.sh "$pacman_recipe_hash" "$suite" "$arch"; done
done

# 5. Node modules, reinstalled only when the lockfile changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing node modules (the versions package-lock.json pins)"
  # Not `npm ci`: the reachable registry has no other platforms' builds of optional packages (@swc/core-darwin-*),
  # so the lockfile cannot list them and `npm ci` refuses it; `npm install` installs the same pinned versions.
  npm install --no-audit --no-fund --loglevel=error
fi
step "ready"
