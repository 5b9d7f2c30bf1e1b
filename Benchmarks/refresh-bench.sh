#!/usr/bin/env bash
# `make bench`, refresh: N recorded files (default 100,000, volume files in 20 folders) are
# imported into sbsync-emulator, then `sbsync refresh` checks them all. Prints the requests the
# refresh made (the floor is N/100; the target is at most N/100 + 5 %) and compares the ETA
# sbsync printed before it started with the time the refresh took at the platform's rate limit
# (1,000 requests per 300 platform seconds; the emulator's clock runs TIME_SCALE times faster,
# and the refresh uses a token of its own, so its rate window starts with it).
# Usage: Benchmarks/refresh-bench.sh BIN_DIR [N]
set -euo pipefail
BIN_DIR=${1:?usage: Benchmarks/refresh-bench.sh BIN_DIR [N]}
N=${2:-${BENCH_REFRESH_FILES:-100000}}
SCALE=${BENCH_REFRESH_TIME_SCALE:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out/refresh"
PY=${SBSYNC_PYTHON:-$ROOT/.venv/bin/python}
mkdir -p "$OUT"
SETUP=bench-setup-token-not-a-secret
TOKEN=bench-refresh-token-not-a-secret

seq 0 $((N - 1)) | sed 's|^|bench/f|; s|$|.bam|' > "$OUT/volume.txt"
{
  echo "version: 1"; echo "project: bench/p"; echo "volumes:"; echo "  - volume: bench/vol"; echo "    files:"
  seq 0 $((N - 1)) | awk '{ printf "      - {location: bench/f%d.bam, folder: g%d}\n", $1, $1 % 20 }'
} > "$OUT/refresh.yaml"
rm -f "$OUT/refresh.state"*

"$BIN_DIR/sbsync-emulator" --port 0 --token "$SETUP" --token "$TOKEN" --project bench/p \
  --volume-listing "bench/vol=$OUT/volume.txt" --job-duration 2 --time-scale "$SCALE" \
  --rate-limit 1000 --rate-window 300 >"$OUT/emulator.log" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q 'listening on' "$OUT/emulator.log" && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[^ ]*/v2' "$OUT/emulator.log" | head -n1)
ADMIN=${ENDPOINT%/v2}/_admin

# The setup token's own rate windows pace the import (as on the platform).
SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$SETUP" "$BIN_DIR/sbsync" apply -f "$OUT/refresh.yaml" \
  --state "$OUT/refresh.state" --auto-approve --poll-interval 0.2 >"$OUT/apply.out" 2>"$OUT/apply.err"
curl -s -X POST "$ADMIN/counters/reset" >/dev/null

start=$(date +%s.%N)
SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$TOKEN" "$BIN_DIR/sbsync" refresh -f "$OUT/refresh.yaml" \
  --state "$OUT/refresh.state" --auto-approve >"$OUT/refresh.out" 2>"$OUT/refresh.err"
end=$(date +%s.%N)
requests=$(curl -s "$ADMIN/counters" | tee "$OUT/refresh.counters.json" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["requestsByEndpoint"]; print(sum(v for k, v in c.items() if not k.startswith("GET /rate_limit")))')
line=$(grep -o 'refreshing .*' "$OUT/refresh.err" | head -n1)
"$PY" - "$N" "$requests" "$start" "$end" "$SCALE" "$line" <<'PYEOF'
import re, sys
n, requests, start, end, scale, line = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
measured = (end - start) * scale
m = re.search(r"about ([\d,]+) requests?, (?:about (\d+) min|under a minute)", line)
predicted_requests = int(m.group(1).replace(",", ""))
eta = int(m.group(2)) * 60 if m.group(2) else 0
exact = predicted_requests / 1000 * 300 if predicted_requests > 1000 else 0
print(f"refresh of {n:,} recorded files: {requests:,} requests (floor {n // 100:,}, target <= {n // 100 + n // 2000:,}); "
      f"printed: {line!r}")
print(f"  time at 1,000 requests / 300 s (emulator x{scale:g}): measured {measured:.0f} s, ETA printed {eta} s "
      f"({requests / 1000 * 300 if requests > 1000 else 0:.0f} s by the formula); "
      f"{abs(eta - measured) / measured * 100 if measured else 0:.1f}% apart")
PYEOF
