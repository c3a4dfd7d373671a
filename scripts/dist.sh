#!/usr/bin/env bash
# Release archives, built the same way here and in .github/workflows/release.yml (`archive` and
# `checksums` need GNU tar and sha256sum: the release packs every archive on Linux):
#
#   bash scripts/dist.sh                    the x86_64 Linux archive (glibc 2.17) and SHA256SUMS in dist/
#   bash scripts/dist.sh build TARGET       build the release binary for TARGET; prints its path
#   bash scripts/dist.sh archive TARGET BINARY DOCS_BINARY
#                                           pack BINARY into dist/ristretto-VERSION-TARGET.tar.gz (.zip
#                                           for Windows), with man pages and completions written by
#                                           DOCS_BINARY (a build that runs on this machine)
#   bash scripts/dist.sh checksums          write dist/SHA256SUMS for every archive in dist/
#   bash scripts/dist.sh version            print the version in Cargo.toml
#
# Linux targets are linked with cargo-zigbuild: *-linux-gnu against glibc 2.17 (runs on any
# distribution since 2014), *-linux-musl fully static (the container image). Other targets use
# plain `cargo build` on their own runner. The release profile (Cargo.toml) is fat LTO, so a
# build takes ~9 minutes on 2 cores; it gets its own cache, apart from the debug builds:
#   DIST_TARGET_DIR  cargo's target directory [default: ~/.cache/ristretto/target-dist]
#   DIST_DIR         where archives go [default: dist/ in the repository]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/release-tools.sh
source "$root/scripts/release-tools.sh"

dist_dir="${DIST_DIR:-$root/dist}"
stage=""
trap 'if [ -n "$stage" ]; then rm -rf "$stage"; fi' EXIT
export CARGO_TARGET_DIR="${DIST_TARGET_DIR:-$HOME/.cache/ristretto/target-dist}"

# The version of the [package] section (its first `version =` line).
crate_version() {
  sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1
}

executable_name() {
  case "$1" in
    *-windows-*) echo ristretto.exe ;;
    *) echo ristretto ;;
  esac
}

build() {
  local target="$1"
  case "$target" in
    *-linux-gnu)
      ensure_release_tools
      # The `.2.17` suffix tells zig which glibc to link against; cargo sees the plain target.
      cargo zigbuild --locked --release --target "$target.2.17" >&2
      ;;
    *-linux-musl)
      ensure_release_tools
      cargo zigbuild --locked --release --target "$target" >&2
      ;;
    *)
      cargo build --locked --release --target "$target" >&2
      ;;
  esac
  echo "$CARGO_TARGET_DIR/$target/release/$(executable_name "$target")"
}

# The archive holds one directory named like the archive, so unpacking never spills files.
archive() {
  local target="$1" binary="$2" docs_binary="$3"
  local version name
  version="$(crate_version)"
  name="ristretto-$version-$target"
  stage="$(mktemp -d)"
  mkdir -p "$stage/$name/completions" "$stage/$name/man" "$dist_dir"

  # Artifacts that crossed jobs lose their mode: set it here.
  cp "$binary" "$stage/$name/$(executable_name "$target")"
  chmod 0755 "$stage/$name/$(executable_name "$target")"
  cp LICENSE README.md "$stage/$name/"
  "$docs_binary" completions bash >"$stage/$name/completions/ristretto.bash"
  "$docs_binary" completions zsh >"$stage/$name/completions/_ristretto"
  "$docs_binary" completions fish >"$stage/$name/completions/ristretto.fish"
  "$docs_binary" man --out-dir "$stage/$name/man" >/dev/null

  # Same bytes for the same inputs: fixed order, owner and time (the commit's, when known).
  local epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  find "$stage/$name" -exec touch -h -d "@$epoch" {} +
  case "$target" in
    *-windows-*)
      rm -f "$dist_dir/$name.zip"
      (cd "$stage" && find "$name" | LC_ALL=C sort | zip -q -X -@ "$dist_dir/$name.zip")
      echo "$dist_dir/$name.zip"
      ;;
    *)
      (cd "$stage" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -cf - "$name") | gzip -9 -n >"$dist_dir/$name.tar.gz"
      echo "$dist_dir/$name.tar.gz"
      ;;
  esac
}

checksums() {
  (
    cd "$dist_dir"
    shopt -s nullglob
    local archives=(ristretto-*.tar.gz ristretto-*.zip)
    if [ "${#archives[@]}" -eq 0 ]; then
      echo "dist.sh: no archives in $dist_dir" >&2
      exit 1
    fi
    sha256sum "${archives[@]}" >SHA256SUMS
  )
  echo "$dist_dir/SHA256SUMS"
}

case "${1:-}" in
  "")
    target=x86_64-unknown-linux-gnu
    binary="$(build "$target")"
    archive "$target" "$binary" "$binary"
    checksums
    ;;
  build) build "${2:?usage: dist.sh build TARGET}" ;;
  archive)
    archive "${2:?usage: dist.sh archive TARGET BINARY DOCS_BINARY}" \
      "${3:?usage: dist.sh archive TARGET BINARY DOCS_BINARY}" \
      "${4:?usage: dist.sh archive TARGET BINARY DOCS_BINARY}"
    ;;
  checksums) checksums ;;
  version) crate_version ;;
  *)
    echo "usage: dist.sh [build TARGET | archive TARGET BINARY DOCS_BINARY | checksums | version]" >&2
    exit 2
    ;;
esac
