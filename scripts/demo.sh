#!/usr/bin/env bash
# `make demo`: a whole sbsync session against a local platform emulator:
# start the emulator with the example volume, validate, plan, apply --auto-approve, plan again
# (no changes), stop the emulator. Only the emulator's made-up token is used.
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
log="$work/emulator.log"
token="demo-token-not-a-secret"

. "$(dirname "$0")/emulator.sh"
emulator=""
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT
start_emulator "$log" --token "$token" --project demo/cohort \
  --volume "demo/input=manifests/demo/volume" --job-duration 2 --time-scale 10

export SB_API_ENDPOINT="$endpoint" SB_AUTH_TOKEN="$token" NO_COLOR=1
state="$work/demo.state"
run() { echo; echo "\$ sbsync $*"; "$bin/sbsync" "$@"; }

run validate -f manifests/demo/sbsync.yaml
run plan -f manifests/demo/sbsync.yaml --state "$state"
run apply -f manifests/demo/sbsync.yaml --state "$state" --auto-approve
run plan -f manifests/demo/sbsync.yaml --state "$state" --detailed-exitcode
echo
echo "# the emulator's project demo/cohort now holds:"
curl -s "${endpoint%/v2}/_admin/state" | python3 -c 'import json,sys; s=json.load(sys.stdin); [print("  "+f["path"]) for p in s["projects"] for f in p["files"] if f["type"]=="file"]' 2>/dev/null || true
