#!/usr/bin/env bash
# `make bench`, request economy: files imported into fresh projects of sbsync-emulator (20 ms
# latency per request) by `sbsync apply` and by a sevenbridges-python script using the bulk
# calls (imports, polls, DRS, and `files.bulk_edit` for metadata), for three cohorts (volume
# only, DRS only, mixed 60/40), each without and with metadata and tags (three keys and two
# tags per file). The script runs twice: as written (it checks nothing) and with `--checks`, doing
# the work sbsync does before it imports (project, volume, one listing of the destination so a
# rerun does not import twice): that second row is the script "doing the same work". Prints
# requests per 1,000 files, the with/without ratio, and wall time; then the per-file
# sevenbridges-python script (single imports, no metadata) for reference.
# Usage: Benchmarks/apply-bench.sh BIN_DIR [N]   (N files per cohort, default 1000)
set -euo pipefail
BIN_DIR=${1:?usage: Benchmarks/apply-bench.sh BIN_DIR [N]}
N=${2:-${BENCH_APPLY_FILES:-1000}}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out/apply"
PY=${SBSYNC_PYTHON:-$ROOT/.venv/bin/python}
mkdir -p "$OUT"
TOKEN=bench-token-not-a-secret

seq 0 $((N - 1)) | sed 's|^|bench/f|; s|$|.bam|' > "$OUT/volume.txt"
EMU=
trap '[ -n "$EMU" ] && kill $EMU 2>/dev/null || true' EXIT
# A fresh emulator per run, so no run inherits another's DRS pace window.
start_emulator() {
  [ -n "$EMU" ] && { kill $EMU 2>/dev/null || true; wait $EMU 2>/dev/null || true; }
  "$BIN_DIR/sbsync-emulator" --port 0 --token "$TOKEN" --project bench/p \
    --volume-listing "bench/vol=$OUT/volume.txt" --latency-ms 20 --job-duration 2 --time-scale 50 \
    --rate-limit 10000000 >"$OUT/emulator.log" 2>&1 &
  EMU=$!
  for _ in $(seq 100); do grep -q 'listening on' "$OUT/emulator.log" && break; sleep 0.1; done
  ENDPOINT=$(grep -o 'http://[^ ]*/v2' "$OUT/emulator.log" | head -n1)
  ADMIN=${ENDPOINT%/v2}/_admin
}
# requests NAME: the emulator's request count (and the counters by endpoint in $OUT/NAME.counters.json).
requests() { curl -s "$ADMIN/counters" | tee "$OUT/$1.counters.json" | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin)["requestsByEndpoint"].values()))'; }

# manifest PROJECT N_VOLUME N_DRS META(0|1) > FILE
manifest() {
  "$PY" - "$@" <<'PYEOF'
import sys
project, nv, nd, meta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
out = ["version: 1", f"project: {project}"]
def spec(i):
    return [f"        metadata: {{sample_id: S{i}, case_id: C{i}, study: BENCH}}",
            "        tags: [bench, cohort-a]"] if meta else []
if nv:
    out += ["volumes:", "  - volume: bench/vol", "    files:"]
    for i in range(nv):
        out.append(f"      - location: bench/f{i}.bam")
        out += spec(i)
if nd:
    out.append("drs:")
    for i in range(nd):
        out += [f"  - uri: drs://bench.example.org/o{i}", f"    name: o{i}.cram"]
        out += [line[4:] for line in spec(i)]
print("\n".join(out))
PYEOF
}

per1000() { awk -v r="$1" -v f="$2" 'BEGIN { printf "%.1f", r * 1000 / f }'; }

printf "%-10s %-29s %12s %12s %7s %10s %10s\n" cohort tool "req/1k bare" "req/1k meta" ratio "s bare" "s meta"
for cohort in volume drs mixed; do
  case $cohort in
    volume) NV=$N; ND=0 ;;
    drs) NV=0; ND=$N ;;
    mixed) NV=$((N * 6 / 10)); ND=$((N - N * 6 / 10)) ;;
  esac
  declare -A REQ=() SEC=()
  for meta in 0 1; do
    manifest bench/p "$NV" "$ND" "$meta" > "$OUT/$cohort-$meta.yaml"
    rm -f "$OUT/$cohort-$meta.state"*
    start_emulator
    /usr/bin/time -o "$OUT/time" -f '%e' env SB_API_ENDPOINT="$ENDPOINT" SB_AUTH_TOKEN="$TOKEN" \
      "$BIN_DIR/sbsync" apply -f "$OUT/$cohort-$meta.yaml" --state "$OUT/$cohort-$meta.state" --auto-approve \
      --poll-interval 0.5 --drs-window 6 >"$OUT/sbsync-$cohort-$meta.out" 2>"$OUT/sbsync-$cohort-$meta.err"
    REQ[sb$meta]=$(requests "sbsync-$cohort-$meta"); SEC[sb$meta]=$(cat "$OUT/time")

    for tool in py pyc; do
      start_emulator
      flag=(); [ "$meta" = 1 ] && flag+=(--metadata); [ "$tool" = pyc ] && flag+=(--checks)
      /usr/bin/time -o "$OUT/time" -f '%e' "$PY" "$HERE/sbp_apply.py" bulk "$ENDPOINT" "$TOKEN" bench/p bench/vol "$NV" "$ND" "${flag[@]}" 2>"$OUT/$tool-$cohort-$meta.err"
      REQ[$tool$meta]=$(requests "$tool-$cohort-$meta"); SEC[$tool$meta]=$(cat "$OUT/time")
    done
  done
  for tool in sb py pyc; do
    case $tool in
      sb) name="sbsync apply" ;;
      py) name="sevenbridges-python bulk" ;;
      pyc) name="  same, with sbsync's checks" ;;
    esac
    printf "%-10s %-29s %12s %12s %7s %10s %10s\n" "$cohort" "$name" "$(per1000 "${REQ[${tool}0]}" "$N")" \
      "$(per1000 "${REQ[${tool}1]}" "$N")" "$(awk -v a="${REQ[${tool}1]}" -v b="${REQ[${tool}0]}" 'BEGIN { printf "%.2f", a / b }')" \
      "${SEC[${tool}0]}" "${SEC[${tool}1]}"
  done
done

# The per-file script is linear in the number of files and very slow (one call and one poll
# per file, DRS paced): it runs on at most BENCH_SINGLE_FILES files of each kind (default 500),
# without metadata, and its row is per 1,000 files like the others.
S=$(( N < ${BENCH_SINGLE_FILES:-500} ? N : ${BENCH_SINGLE_FILES:-500} ))
start_emulator
/usr/bin/time -o "$OUT/time.single" -f '%e' "$PY" "$HERE/sbp_apply.py" single "$ENDPOINT" "$TOKEN" bench/p bench/vol "$S" "$S" 2>/dev/null
printf "%-10s %-29s %12s %12s %7s %10s\n" "mixed" "sevenbridges-python single" "$(per1000 "$(requests sbp-single)" $((2 * S)))" "-" "-" "$(cat "$OUT/time.single")"
