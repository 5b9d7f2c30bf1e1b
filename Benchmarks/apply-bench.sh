#!/usr/bin/env bash
# `make bench`, request economy: 10,000 volume files and 10,000 DRS files imported into a
# fresh project of sbsync-emulator (20 ms latency per request), by `sbsync apply` and by two
# sevenbridges-python scripts (bulk calls; single imports). Prints requests, wall time and
# CPU time per 1,000 files.
# Usage: Benchmarks/apply-bench.sh BIN_DIR [N]   (N files of each kind, default 10000)
set -euo pipefail
BIN_DIR=${1:?usage: Benchmarks/apply-bench.sh BIN_DIR [N]}
N=${2:-${BENCH_APPLY_FILES:-10000}}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out/apply"
PY=${SBSYNC_PYTHON:-$ROOT/.venv/bin/python}
mkdir -p "$OUT"
TOKEN=bench-token-not-a-secret

seq 0 $((N - 1)) | sed 's|^|bench/f|; s|$|.bam|' > "$OUT/volume.txt"
"$BIN_DIR/sbsync-emulator" --port 0 --token "$TOKEN" --project bench/sbsync --project bench/bulk --project bench/single \
  --volume-listing "bench/vol=$OUT/volume.txt" --latency-ms 20 --job-duration 2 --time-scale 50 \
  --rate-limit 10000000 >"$OUT/emulator.log" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$OUT/emulator.log" && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[^ ]*/v2' "$OUT/emulator.log" | head -n1)
ADMIN=${ENDPOINT%/v2}/_admin
requests() { curl -s "$ADMIN/counters" | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin)["requestsByEndpoint"].values()))'; }

{
  echo "version: 1"; echo "project: bench/sbsync"
  echo "volumes:"; echo "  - volume: bench/vol"; echo "    prefixes:"; echo "      - prefix: bench/"
  echo "drs:"
  for i in $(seq 0 $((N - 1))); do echo "  - uri: drs://bench.example.org/o$i"; echo "    name: o$i.cram"; done
} > "$OUT/bench.yaml"

row() { # name requests seconds cpu [files]
  awk -v n="$1" -v r="$2" -v s="$3" -v c="$4" -v f="${5:-$((2 * N))}" \
    'BEGIN { printf "%-26s %9d requests (%6.1f per 1,000 files)  %8.1f s wall (%6.2f s per 1,000)  %s\n", n, r, r*1000/f, s, s*1000/f, (c=="-" ? "" : sprintf("CPU %.2f s per 1,000 files", c*1000/f)) }'
}

curl -s -X POST "$ADMIN/counters/reset" >/dev/null
rm -f "$OUT/bench.state"*
/usr/bin/time -o "$OUT/time.sbsync" -f '%e %U %S' env SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$TOKEN" \
  "$BIN_DIR/sbsync" apply -f "$OUT/bench.yaml" --state "$OUT/bench.state" --auto-approve \
  --poll-interval 0.5 --drs-window 6 >"$OUT/sbsync.out" 2>"$OUT/sbsync.err"
read -r wall user sys < "$OUT/time.sbsync"
row "sbsync apply" "$(requests)" "$wall" "$(echo "$user + $sys" | bc)"

curl -s -X POST "$ADMIN/counters/reset" >/dev/null
/usr/bin/time -o "$OUT/time.bulk" -f '%e' "$PY" "$HERE/sbp_apply.py" bulk "$ENDPOINT" "$TOKEN" bench/bulk bench/vol "$N" "$N" 2>/dev/null
row "sevenbridges-python bulk" "$(requests)" "$(cat "$OUT/time.bulk")" -

# The per-file script is linear in the number of files and very slow (one call and one poll
# per file, DRS paced): it runs on at most BENCH_SINGLE_FILES files of each kind (default 500)
# and its row is per 1,000 files like the others.
S=$(( N < ${BENCH_SINGLE_FILES:-500} ? N : ${BENCH_SINGLE_FILES:-500} ))
curl -s -X POST "$ADMIN/counters/reset" >/dev/null
/usr/bin/time -o "$OUT/time.single" -f '%e' "$PY" "$HERE/sbp_apply.py" single "$ENDPOINT" "$TOKEN" bench/single bench/vol "$S" "$S" 2>/dev/null
row "sevenbridges-python single ($((2 * S)) files)" "$(requests)" "$(cat "$OUT/time.single")" - $((2 * S))
