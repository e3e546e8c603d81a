# A real forge for the tests (test/e2e/gitea.e2e.test.ts): Gitea from the Go module proxy, built once into the tools
# dir. `go install` refuses the module (it has replace directives), so the module is copied out of the read-only
# module cache and built in the copy; a Gitea built without `bindata` reads its locales from that copy at run time
# (the test sets STATIC_ROOT_PATH to it), so the copy stays. Only v1.26.0 is reachable from the proxy (later tags
# moved to another module path). About 6 minutes cold on 2 cores; skipped when the binary carries this version.
gitea_version=v1.26.0
# gitea_paths <tools dir>: the binary and the module copy it reads `options/` from
gitea_paths() {
  gitea_bin=$1/bin/gitea
  gitea_src=$1/gitea-src/$gitea_version
}
# build_gitea <tools dir>
build_gitea() {
  gitea_paths "$1"
  # Built from a copy, the binary says "(devel)": the version it was built from is in the copy's .complete.
  if [ -x "$gitea_bin" ] && [ "$(cat "$gitea_src/.complete" 2>/dev/null)" = "$gitea_version" ]; then
    return 0
  fi
  step "building Gitea $gitea_version (a test forge) from the Go module proxy (one time; minutes)"
  local module_dir
  module_dir=$(go mod download -json "code.gitea.io/gitea@$gitea_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -f "$module_dir/go.mod" ] || { echo "setup: go mod download code.gitea.io/gitea@$gitea_version gave no module" >&2; return 1; }
  rm -rf "$gitea_src" && mkdir -p "$(dirname "$gitea_src")" "$1/bin"
  cp -r "$module_dir" "$gitea_src"
  chmod -R u+w "$gitea_src"   # the module cache is read-only
  # -trimpath: the build cache then does not depend on where the tools dir is (each clean checkout has its own).
  (cd "$gitea_src" && go build -trimpath -tags 'sqlite sqlite_unlock_notify' -ldflags '-s -w' -o "$gitea_bin.tmp" .) || { rm -f "$gitea_bin.tmp"; return 1; }
  mv -f "$gitea_bin.tmp" "$gitea_bin"
  echo "$gitea_version" > "$gitea_src/.complete"
}
