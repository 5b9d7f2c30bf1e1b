#!/usr/bin/env bash
# `make demo`: a whole sbsync session against a local platform emulator:
# start the emulator with the example volume, validate, plan, apply --auto-approve, plan again
# (no changes), stop the emulator. Only the emulator's made-up token is used.
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
log="$work/emulator.log"
token="demo-token-not-a-secret"

"$bin/sbsync-emulator" --port 0 --token "$token" --project demo/cohort \
  --volume "demo/input=manifests/demo/volume" --job-duration 2 --time-scale 10 >"$log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT

endpoint=""
for _ in $(seq 1 100); do
  endpoint="$(grep -o 'http://[^ ]*/v2' "$log" | head -n1 || true)"
  [ -n "$endpoint" ] && break
  if ! kill -0 "$emulator" 2>/dev/null; then cat "$log" >&2; echo "demo: the emulator did not start" >&2; exit 1; fi
  sleep 0.1
done
[ -n "$endpoint" ] || { cat "$log" >&2; echo "demo: the emulator did not say where it listens" >&2; exit 1; }
echo "# emulator listening on $endpoint"

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
