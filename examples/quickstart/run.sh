#!/usr/bin/env bash
# The quick start, end to end on a local AWS emulator (moto) — nothing leaves this machine.
#
#   bash examples/quickstart/run.sh
#
# It installs moto if missing, builds ristretto, starts the emulator on a free loopback port,
# creates the cluster, then runs ristretto's main job against it: validate and render the
# definitions, plan the deploy into a reviewed plan file, apply exactly that plan under the
# deploy lock (waiting for the rollout), show the service, and plan again (no changes).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! python3 -c 'import moto, boto3' 2>/dev/null; then
  echo "==> installing the AWS emulator: pip install 'moto[server]==5.2.1'" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi

echo "==> building ristretto" >&2
cargo build --quiet --manifest-path "$root/Cargo.toml"
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
ristretto="$target_dir/debug/ristretto"

echo "==> starting the emulator" >&2
port_file="$(mktemp)"
python3 "$root/tests/support/moto_launcher.py" >"$port_file" 2>/dev/null &
launcher=$!
trap 'kill "$launcher" 2>/dev/null || true; rm -f "$port_file"' EXIT
for _ in $(seq 1 300); do
  grep -q '^PORT=' "$port_file" && break
  kill -0 "$launcher" 2>/dev/null || { echo "the emulator did not start" >&2; exit 1; }
  sleep 0.1
done
port="$(sed -n 's/^PORT=//p' "$port_file")"
[ -n "$port" ] || { echo "the emulator did not report its port" >&2; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1
export AWS_EC2_METADATA_DISABLED=true
echo "    emulator on $AWS_ENDPOINT_URL" >&2

echo "==> creating the cluster and looking up a subnet" >&2
SUBNET_ID="$(python3 - <<'PY'
import boto3
ecs = boto3.client("ecs")
ecs.create_cluster(clusterName="quickstart")
ec2 = boto3.client("ec2")
print(ec2.describe_subnets()["Subnets"][0]["SubnetId"])
PY
)"
export SUBNET_ID

# The emulator completes a rollout in a few DescribeServices calls; poll every second.
export RISTRETTO_POLL_INTERVAL=1s

workdir="$(mktemp -d)"
trap 'kill "$launcher" 2>/dev/null || true; rm -f "$port_file"; rm -rf "$workdir"' EXIT
cd "$here"
echo "==> ristretto validate" >&2
"$ristretto" validate
echo "==> ristretto render taskdef servicedef" >&2
"$ristretto" render taskdef servicedef
echo "==> ristretto plan -o plan.json --format markdown   (what a pull request shows)" >&2
"$ristretto" plan -o "$workdir/plan.json" --format markdown
echo "==> ristretto apply plan.json   (exactly the reviewed plan, under the deploy lock)" >&2
"$ristretto" apply "$workdir/plan.json"
echo "==> ristretto status" >&2
"$ristretto" status
echo "==> IMAGE_TAG=v2 ristretto deploy   (ecspresso's one-step flow, same lock)" >&2
IMAGE_TAG=v2 "$ristretto" deploy
echo "==> ristretto plan --detailed-exitcode   (0: the service matches the definitions)" >&2
IMAGE_TAG=v2 "$ristretto" plan --detailed-exitcode
echo "==> done" >&2
