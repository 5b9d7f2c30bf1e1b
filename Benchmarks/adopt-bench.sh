#!/usr/bin/env bash
# `make bench`, adoption rows (issue 11), counted by the emulator's request counters:
#  - adopt: 10,000 files in 20 folders imported beforehand, the state lost, then one
#    `sbsync apply` adopts them: requests (target ≤ 140) and import calls (target 0);
#  - first plan: `sbsync plan` of the 1,000,000-entry manifest (Benchmarks/gen-manifest.py) into
#    an empty project, with credentials (checks and destination probe): requests (target ≤ 10)
#    and wall time.
# Usage: Benchmarks/adopt-bench.sh BIN_DIR   (BIN_DIR: `swift build -c release --show-bin-path`)
set -euo pipefail

BIN_DIR=${1:?usage: Benchmarks/adopt-bench.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out/adopt"
PY=${SBSYNC_PYTHON:-python3}
rm -rf "$OUT" && mkdir -p "$OUT"

EMU_PID=""
stop_emulator() { if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=""; fi; }
trap stop_emulator EXIT

# start_emulator ARGS...: an sbsync-emulator on a free port; sets ENDPOINT and ADMIN.
start_emulator() {
  "$BIN_DIR/sbsync-emulator" --port 0 --token bench-token --rate-limit 100000000 --job-duration 1 --time-scale 100 \
    --drs-pace 100000000 "$@" > "$OUT/emulator.out" 2> "$OUT/emulator.err" &
  EMU_PID=$!
  for _ in $(seq 200); do grep -q "http://" "$OUT/emulator.out" 2>/dev/null && break; sleep 0.05; done
  ENDPOINT=$(grep -o 'http://[^ ]*/v2' "$OUT/emulator.out" | head -1)
  ADMIN=${ENDPOINT%/v2}/_admin
}
counters() { curl -s "$ADMIN/counters"; }
total() { "$PY" -c 'import json,sys; c=json.load(sys.stdin)["requestsByEndpoint"]; print(sum(c.values()))'; }
imports() { "$PY" -c 'import json,sys; c=json.load(sys.stdin)["requestsByEndpoint"]; print(sum(v for k,v in c.items() if "imports" in k and k.startswith("POST") and "get" not in k))'; }

# --- adopt: 10,000 files in 20 folders --------------------------------------------------------
for k in $(seq 0 19); do for i in $(seq 0 499); do printf 'data/f%d/s%d.bam\t%d\n' "$k" "$i" "$((i + 1))"; done; done > "$OUT/listing.txt"
{
  echo "version: 1"; echo "project: bench/p"; echo "volumes:"
  for k in $(seq 0 19); do
    echo "  - volume: bench/vol"; echo "    folder: f$k"; echo "    files:"
    for i in $(seq 0 499); do echo "      - location: data/f$k/s$i.bam"; done
  done
} > "$OUT/adopt.yaml"
start_emulator --project bench/p --volume-listing "bench/vol=$OUT/listing.txt"
export SB_API_ENDPOINT=$ENDPOINT SB_AUTH_TOKEN=bench-token NO_COLOR=1
"$BIN_DIR/sbsync" apply -f "$OUT/adopt.yaml" --state "$OUT/adopt.state" --auto-approve --poll-interval 0.05 > "$OUT/import.out"
rm -f "$OUT/adopt.state" "$OUT/adopt.state-wal" "$OUT/adopt.state-shm"
curl -s -X POST "$ADMIN/counters/reset" > /dev/null
start=$(date +%s.%N)
"$BIN_DIR/sbsync" apply -f "$OUT/adopt.yaml" --state "$OUT/adopt.state" --auto-approve > "$OUT/adopt.out"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
c=$(counters); echo "$c" > "$OUT/adopt.counters.json"
grep -q "10000 adopted" "$OUT/adopt.out" || { echo "adopt-bench: the apply did not adopt 10,000 files" >&2; tail -3 "$OUT/adopt.out" >&2; exit 1; }
echo "adopt of 10,000 files in 20 folders (lost state, one apply): $(echo "$c" | total) requests (target 140), $(echo "$c" | imports) import calls (target 0), ${secs} s"
stop_emulator

# --- first plan of 1,000,000 files into an empty project ---------------------------------------
manifest="$ROOT/bench-out/manifest-1m.yaml"
if [ ! -s "$manifest" ] || [ "$HERE/gen-manifest.py" -nt "$manifest" ]; then
  python3 "$HERE/gen-manifest.py" 1000000 > "$manifest.tmp" && mv "$manifest.tmp" "$manifest"
fi
: > "$OUT/empty.txt"
args=(--project rfranklin/pan-cancer-cohort)
for v in $(grep -o 'volume: [^ ]*' "$manifest" | awk '{ print $2 }' | sort -u); do args+=(--volume-listing "$v=$OUT/empty.txt"); done
start_emulator "${args[@]}"
export SB_API_ENDPOINT=$ENDPOINT
start=$(date +%s.%N)
"$BIN_DIR/sbsync" plan -f "$manifest" --state "$OUT/none.state" > "$OUT/plan.out"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
grep -q "Plan: 1000000 to import" "$OUT/plan.out" || { echo "adopt-bench: unexpected plan" >&2; tail -3 "$OUT/plan.out" >&2; exit 1; }
echo "first plan of 1,000,000 files into an empty project (credentials, checks on): $(counters | total) requests (target 10), ${secs} s"
# The same plan against the libyaml event scan, in paired alternating runs (paired.sh): the
# first-plan target of the pipeline issue (at most 2.0 x the scan, under 1.5 GiB) holds with the
# checks on.
if [ -x "$ROOT/bench-out/yaml-scan" ]; then
  . "$HERE/paired.sh"
  read -r ratio scan_s s mb rest <<< "$(OUT="$OUT" PAIRED_ALLOW_2=1 paired "${BENCH_PAIRS:-5}" "$ROOT/bench-out/yaml-scan" "$manifest" --- \
    "$BIN_DIR/sbsync" plan -f "$manifest" --state "$OUT/none.state" --detailed-exitcode --color never)"
  verdict=$(awk -v r="$ratio" -v m="$mb" 'BEGIN { print (r <= 2.0 && m < 1536) ? "met" : "NOT met" }')
  echo "first plan with the checks on vs the libyaml scan: ${ratio} x (scan ${scan_s} s, plan ${s} s, peak ${mb} MB; per pair: ${rest}): ${verdict}"
fi
