#!/usr/bin/env bash
# `make bench`, tables (issue 12): a CDS-style DRS manifest CSV of 100,000 and 1,000,000 rows
# (5 metadata columns, about 170 MB at 1m) as a `from:` source, in paired alternating runs:
#   - `sbsync validate` against Python's csv.DictReader merely reading the file (≤ 0.25×),
#   - against `sbsync validate` of the same entries written in YAML (≤ 0.33×),
#   - a no-op `sbsync plan` against its `validate` (≤ 1.5×), answered by the in-sync note an
#     earlier plan or apply leaves, and (reported) with every file compared; peak RSS < 1 GiB,
#   - growth from 100k to 1m (validate seconds ratio ≤ 12 for 10× the rows: linear).
# Usage: Benchmarks/table-bench.sh BIN_DIR   (BIN_DIR: `swift build -c release --show-bin-path`)
set -euo pipefail

BIN_DIR=${1:?usage: Benchmarks/table-bench.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out"
PAIRS=${BENCH_PAIRS:-5}
SIZES=${TABLE_BENCH_SIZES:-"100000 1000000"}
mkdir -p "$OUT"
for tool in sbsync sbsync-state-bench; do
  [ -x "$BIN_DIR/$tool" ] || { echo "table-bench: $BIN_DIR/$tool is missing; build with: swift build -c release" >&2; exit 1; }
done
. "$HERE/paired.sh"

printf '%-9s %-34s %9s %9s %9s %8s  %s\n' rows "command vs baseline" base_s seconds peak_MB ratio "per-pair ratios"
verdicts=()
verdict() { if awk "BEGIN { exit !($2) }"; then verdicts+=("$1: met"); else verdicts+=("$1: NOT met"); fi; }
for count in $SIZES; do
  if [ ! -s "$OUT/table-$count.csv" ] || [ "$HERE/gen-table.py" -nt "$OUT/table-$count.csv" ]; then
    echo "generating $OUT/table-$count.csv and its YAML twin"
    python3 "$HERE/gen-table.py" "$count" "$OUT"
  fi
  table="$OUT/table-$count.yaml" csv="$OUT/table-$count.csv" yaml="$OUT/entries-$count.yaml"
  row() { printf '%-9s %-34s %9s %9s %9s %8s  %s\n' "$count" "$1" "$3" "$4" "$5" "$2" "$6"; }

  read -r r1 b s mb rest <<< "$(paired "$PAIRS" python3 -c 'import csv, sys
for _ in csv.DictReader(open(sys.argv[1], newline="")): pass' "$csv" --- "$BIN_DIR/sbsync" validate -f "$table")"
  row "validate table vs csv.DictReader" "$r1" "$b" "$s" "$mb" "$rest"
  validate_s=$s validate_mb=$mb

  read -r r2 b s mb rest <<< "$(paired "$PAIRS" "$BIN_DIR/sbsync" validate -f "$yaml" --- "$BIN_DIR/sbsync" validate -f "$table")"
  row "validate table vs validate YAML" "$r2" "$b" "$s" "$mb" "$rest"

  state="$OUT/table-$count.state"
  rm -f "$state" "$state-wal" "$state-shm"
  "$BIN_DIR/sbsync-state-bench" fill-manifest "$table" "$state" > /dev/null
  # Every file compared: the first plan after a write the note does not cover (here the
  # bench's own fill; in use, a refresh or a 'state' command). SBSYNC_IN_SYNC_NOTE=off keeps
  # it so on every run.
  read -r r3c b s mb rest <<< "$(paired "$PAIRS" "$BIN_DIR/sbsync" validate -f "$table" --- \
    env SBSYNC_IN_SYNC_NOTE=off "$BIN_DIR/sbsync" plan -f "$table" --state "$state" --detailed-exitcode --color never)"
  if [ "$(tail -n 1 "$OUT/last.out")" != "No changes. The projects match the manifest." ]; then
    echo "table-bench: the no-op plan of $count rows found changes:" >&2; tail -n 5 "$OUT/last.out" >&2; exit 1
  fi
  row "plan (no-op, every file compared)" "$r3c" "$b" "$s" "$mb" "$rest"
  plan_mb=$mb
  # The no-op plan as it runs after an apply or an earlier plan: answered by the in-sync note
  # that run left (one plan here leaves it).
  "$BIN_DIR/sbsync" plan -f "$table" --state "$state" --color never > /dev/null
  read -r r3 b s mb rest <<< "$(paired "$PAIRS" "$BIN_DIR/sbsync" validate -f "$table" --- \
    "$BIN_DIR/sbsync" plan -f "$table" --state "$state" --detailed-exitcode --color never)"
  if [ "$(tail -n 1 "$OUT/last.out")" != "No changes. The projects match the manifest." ]; then
    echo "table-bench: the no-op plan of $count rows found changes:" >&2; tail -n 5 "$OUT/last.out" >&2; exit 1
  fi
  row "plan (no-op, in-sync note) vs validate" "$r3" "$b" "$s" "$mb" "$rest"
  if [ "$mb" -gt "$plan_mb" ]; then plan_mb=$mb; fi

  if [ "$count" = 100000 ]; then small_s=$validate_s; fi
  if [ "$count" = 1000000 ]; then
    verdict "validate ≥ 4× faster than csv.DictReader reading (ratio ≤ 0.25)" "$r1 <= 0.25"
    verdict "validate ≥ 3× faster than validate of the YAML (ratio ≤ 0.333)" "$r2 <= 0.333"
    verdict "no-op plan ≤ 1.5× validate (answered by the in-sync note; every file compared: $r3c×)" "$r3 <= 1.5"
    verdict "peak RSS < 1024 MB (validate $validate_mb, plan $plan_mb)" "$validate_mb < 1024 && $plan_mb < 1024"
    if [ -n "${small_s:-}" ]; then
      verdict "linear: validate 1m / 100k = $(awk -v a="$validate_s" -v b="$small_s" 'BEGIN { printf "%.1f", a / b }') (≤ 12)" \
        "$validate_s / $small_s <= 12"
    fi
  fi
done
for v in "${verdicts[@]}"; do echo "acceptance: $v"; done
