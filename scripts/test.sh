#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs on a fresh machine first:
#   bash scripts/test.sh [cargo test arguments...]
# The integration tests start a real AWS emulator (moto 5.2.1) on a loopback port and use the
# AWS CLI as an independent client; both come from PyPI.
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

python3 -m unittest tests/support/test_moto_launcher.py  # the emulator's own tests (~20 s)
exec cargo test --locked "$@"
