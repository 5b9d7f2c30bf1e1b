#!/usr/bin/env bash
# `make demo-cohort`: a cohort whose DRS files come from a portal's CSV manifest
# (manifests/demo/cohort), applied against a local platform emulator; then one row's metadata
# is edited in the CSV and the next plan shows exactly one update, which apply makes.
set -euo pipefail
bin="$1"
work="$(mktemp -d)"
log="$work/emulator.log"
token="demo-token-not-a-secret"

. "$(dirname "$0")/emulator.sh"
emulator=""
trap 'kill "$emulator" 2>/dev/null || true; wait "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT
start_emulator "$log" --token "$token" --project demo/cohort --job-duration 2 --time-scale 10

# A copy of the cohort, so the edit below leaves the repository alone.
cp -R manifests/demo/cohort "$work/cohort"
manifest="$work/cohort/sbsync.yaml"
export SB_API_ENDPOINT="$endpoint" SB_AUTH_TOKEN="$token" NO_COLOR=1
state="$work/cohort.state"
run() { echo; echo "\$ sbsync $*"; "$bin/sbsync" "$@"; }

run validate -f "$manifest"
run plan -f "$manifest" --state "$state"
run apply -f "$manifest" --state "$state" --auto-approve
run plan -f "$manifest" --state "$state" --detailed-exitcode

echo
echo "# edit one row's metadata in the CSV: P002-T's Md5sum"
sed -i 's/4a8a08f09d37b73795649038408b5f33/00000000000000000000000000000000/' "$work/cohort/cds-manifest.csv"
set +e
run plan -f "$manifest" --state "$state" --detailed-exitcode
status=$?
set -e
[ "$status" -eq 2 ] || { echo "demo-cohort: expected changes (exit 2) after the edit, got $status" >&2; exit 1; }
run apply -f "$manifest" --state "$state" --auto-approve
run plan -f "$manifest" --state "$state" --detailed-exitcode
