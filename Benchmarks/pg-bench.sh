#!/usr/bin/env bash
# `make bench`, state backends: `sbsync apply` of N volume files (default 1500) at the platform's
# real pace (sbsync-emulator's default timing: no --time-scale, the default --job-duration and
# rate limit, no added latency; sbsync's default --poll-interval), recording into a SQLite state
# file and into a PostgreSQL workspace on a throwaway local cluster, in paired alternating runs
# (paired.sh: SQLite is the baseline, PostgreSQL the command). Acceptance: PostgreSQL adds at
# most 5% wall time (median of the per-pair ratios <= 1.05).
# Every run imports into a project of its own (one emulator made with PAIRS*2 projects), into a
# fresh state (a new file, a new workspace), so each run does the same work from nothing.
# The cluster (initdb in bench-out/pg-bench, a free loopback port, run as the postgres user when
# root, fsync left on) is stopped and removed at the end. Needs PostgreSQL's server binaries
# (`make test` installs Debian's postgresql package) and GNU time.
# Usage: Benchmarks/pg-bench.sh BIN_DIR [N]   (BIN_DIR: `swift build -c release --show-bin-path`)
set -euo pipefail

BIN_DIR=${1:?usage: Benchmarks/pg-bench.sh BIN_DIR [N]}
N=${2:-${BENCH_PG_FILES:-1500}}
PAIRS=${BENCH_PG_PAIRS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out/pg-bench"
TOKEN=bench-token-not-a-secret

for tool in sbsync sbsync-emulator; do
  [ -x "$BIN_DIR/$tool" ] || { echo "pg-bench: $BIN_DIR/$tool is missing; build with: swift build -c release" >&2; exit 1; }
done
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || {
  echo "pg-bench: no PostgreSQL server binaries under /usr/lib/postgresql (make test-system-deps installs them)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "pg-bench: GNU time (/usr/bin/time) is missing (Debian package 'time')" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$OUT"
. "$HERE/paired.sh"

# The cluster: initdb refuses root, so as root it runs as the postgres user.
AS=()
if [ "$(id -u)" -eq 0 ]; then
  AS=(/usr/sbin/runuser -u postgres --)
  mkdir -p "$OUT/data" && chown postgres:postgres "$OUT/data" && chmod 700 "$OUT/data"
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
EMU=
cleanup() {
  [ -n "$EMU" ] && { kill "$EMU" 2>/dev/null || true; wait "$EMU" 2>/dev/null || true; }
  "${AS[@]}" "$PG_BIN/pg_ctl" -D "$OUT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$OUT/data"
}
trap cleanup EXIT
"${AS[@]}" "$PG_BIN/initdb" -D "$OUT/data" -U sbsync -A trust -E UTF8 --locale=C >"$OUT/initdb.log" 2>&1
"${AS[@]}" "$PG_BIN/pg_ctl" -D "$OUT/data" -l "$OUT/data/server.log" -w -t 60 \
  -o "-p $PORT -k '' -c listen_addresses=127.0.0.1" start >"$OUT/pg_ctl.log" 2>&1
PG_URL="postgres://sbsync@127.0.0.1:$PORT/postgres?sslmode=disable"

# One emulator for every run, a project per run, the platform's timing.
seq 0 $((N - 1)) | sed 's|^|bench/f|; s|$|.bam|' > "$OUT/volume.txt"
RUNS=$((PAIRS * 2))
projects=()
for i in $(seq "$RUNS"); do projects+=(--project "bench/p$i"); done
"$BIN_DIR/sbsync-emulator" --port 0 --token "$TOKEN" "${projects[@]}" \
  --volume-listing "bench/vol=$OUT/volume.txt" >"$OUT/emulator.log" 2>&1 &
EMU=$!
for _ in $(seq 100); do grep -q 'listening on' "$OUT/emulator.log" && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[^ ]*/v2' "$OUT/emulator.log" | head -n1)
[ -n "$ENDPOINT" ] || { echo "pg-bench: the emulator did not start:" >&2; cat "$OUT/emulator.log" >&2; exit 1; }

for i in $(seq "$RUNS"); do
  {
    echo "version: 1"
    echo "project: bench/p$i"
    echo "volumes:"
    echo "  - volume: bench/vol"
    echo "    files:"
    sed 's|^|      - location: |' "$OUT/volume.txt"
  } > "$OUT/manifest-$i.yaml"
done

# The runs take turns (SQLite, PostgreSQL, SQLite, …): each takes the next project and a fresh
# state. `apply-next KIND` is that step (a counter file; its cost is the same on both sides).
cat > "$OUT/apply-next" <<EOF
#!/usr/bin/env bash
set -euo pipefail
i=\$(( \$(cat "$OUT/counter" 2>/dev/null || echo 0) + 1 ))
echo "\$i" > "$OUT/counter"
case "\$1" in
  sqlite) state="$OUT/run-\$i.state" ;;
  postgres) state="$PG_URL&workspace=run-\$i" ;;
esac
exec env SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$TOKEN" "$BIN_DIR/sbsync" apply -f "$OUT/manifest-\$i.yaml" \
  --state "\$state" --auto-approve --color never
EOF
chmod +x "$OUT/apply-next"

echo "apply of $N volume files at the platform's pace, SQLite state vs PostgreSQL state (local cluster),"
echo "$PAIRS paired runs; the ratio is the median of the per-pair ratios (PostgreSQL / SQLite); load: $(cut -d' ' -f1-3 /proc/loadavg)"
read -r ratio sqlite_s pg_s pg_mb rest <<< "$(paired "$PAIRS" "$OUT/apply-next" sqlite --- "$OUT/apply-next" postgres)"
printf '%-8s %-34s %9s %9s %9s %8s  %s\n' files command sqlite_s seconds peak_MB vs_sqlite "per-pair ratios"
printf '%-8s %-34s %9s %9s %9s %8s  %s\n' "$N" "sbsync apply (PostgreSQL state)" "$sqlite_s" "$pg_s" "$pg_mb" "$ratio" "$rest"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); emulator requests: $(curl -s "${ENDPOINT%/v2}/_admin/counters" \
  | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["requestsByEndpoint"].values()))' 2>/dev/null || echo '?')"

# Every run recorded every file: a plan of each run's manifest against its state finds nothing to do.
for i in $(seq "$RUNS"); do
  if [ $((i % 2)) = 1 ]; then state="$OUT/run-$i.state"; else state="$PG_URL&workspace=run-$i"; fi
  if ! SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$TOKEN" "$BIN_DIR/sbsync" plan -f "$OUT/manifest-$i.yaml" \
       --state "$state" --offline --detailed-exitcode --color never >"$OUT/check-$i.out" 2>&1; then
    echo "pg-bench: run $i did not record every file:" >&2; tail -n 5 "$OUT/check-$i.out" >&2; exit 1
  fi
done
# …and the PostgreSQL runs wrote to the cluster (an sbsync that took the URL for a file name would not).
in_pg=$("$PG_BIN/psql" -h 127.0.0.1 -p "$PORT" -U sbsync -d postgres -Atc \
  "SELECT count(*) FROM sbsync_files f JOIN sbsync_workspaces w ON w.id = f.workspace_id WHERE w.name LIKE 'run-%'" 2>&1) || true
if [ "$in_pg" != "$((N * PAIRS))" ]; then
  echo "pg-bench: the PostgreSQL workspaces hold '$in_pg' files, not $((N * PAIRS))" >&2; exit 1
fi
if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.05) }'; then
  echo "acceptance: sbsync apply with a PostgreSQL state at most 1.05 x SQLite (median of pairs): met"
else
  echo "acceptance: sbsync apply with a PostgreSQL state at most 1.05 x SQLite (median of pairs): NOT met"
fi
exit 0
