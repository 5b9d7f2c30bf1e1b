#!/usr/bin/env bash
# `make bench`, plan rows: a no-op `sbsync plan` of the 100,000- and 1,000,000-entry manifests
# against a state that already records every file, and a first plan (no state: every file an
# import), each in paired runs with the libyaml event scan of the same manifest (the floor, see
# run.sh and paired.sh). Acceptance at 1m: no-op plan at most 2.0 x the scan; first plan at most
# 2.0 x the scan and peak under 1.5 GiB.
# Fill rows: recording those files in a fresh state through SyncState, in one transaction
# (`sbsync-state-bench fill`, the time of `record` alone, without generating the files). Reported
# only; it is no longer a target.
# Usage: Benchmarks/plan-bench.sh BIN_DIR   (BIN_DIR: `swift build -c release --show-bin-path`)
set -euo pipefail

BIN_DIR=${1:?usage: Benchmarks/plan-bench.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out"
RUNS=${PLAN_BENCH_RUNS:-3}     # fill rows: the fastest of RUNS runs
PAIRS=${BENCH_PAIRS:-5}         # plan rows: paired runs with the scan (paired.sh)
mkdir -p "$OUT"

for tool in sbsync sbsync-state-bench; do
  [ -x "$BIN_DIR/$tool" ] || { echo "plan-bench: $BIN_DIR/$tool is missing; build with: swift build -c release" >&2; exit 1; }
done
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (Debian package 'time')"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time
fi
if [ ! -x "$OUT/yaml-scan" ] || [ "$HERE/yaml-scan.c" -nt "$OUT/yaml-scan" ]; then
  cc -O2 "$HERE/yaml-scan.c" $(pkg-config --cflags --libs yaml-0.1) -o "$OUT/yaml-scan"
fi

# best LABEL CMD...: the fastest of RUNS runs of CMD under GNU time, as "seconds peak_mb" (the
# peak of that run). A failing command (exit 2 = the plan found changes) stops the bench loudly.
best() {
  local log="$OUT/time.log" best_s="" best_mb="" s mb
  for _ in $(seq "$RUNS"); do
    if ! /usr/bin/time -o "$log" -f '%e %M' "$@" > "$OUT/last.out" 2> "$OUT/last.err"; then
      echo "plan-bench: command failed: $*" >&2
      head -c 4000 "$OUT/last.out" >&2
      cat "$OUT/last.err" >&2
      exit 1
    fi
    read -r s mb < <(awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$log")
    if [ -z "$best_s" ] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; best_mb=$mb; fi
  done
  echo "$best_s $best_mb"
}

. "$HERE/paired.sh"

# fill_best COUNT STATE: fills a fresh STATE with COUNT files RUNS times, as "wall_s cpu_s peak_mb"
# of the fastest run, as the tool measures them: `record` alone (the peak includes the generated
# files). The last run's state stays for the plan rows.
fill_best() {
  local best="" line
  for _ in $(seq "$RUNS"); do
    rm -f "$2" "$2-wal" "$2-shm"
    if ! line=$("$BIN_DIR/sbsync-state-bench" fill "$1" "$2" 2> "$OUT/last.err"); then
      echo "plan-bench: command failed: $BIN_DIR/sbsync-state-bench fill $1 $2" >&2
      cat "$OUT/last.err" >&2
      exit 1
    fi
    # "fill N files W s wall C s CPU … peak RSS P MiB …"
    line=$(awk '{ for (i = 1; i < NF; i++) { if ($(i+1) == "s" && $(i+2) == "wall") w = $i; if ($(i+1) == "s" && $(i+2) == "CPU") c = $i; if ($i == "RSS") p = $(i+1) }
                  printf "%.2f %.2f %.0f\n", w, c, p }' <<< "$line")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then best=$line; fi
  done
  echo "$best"
}

printf '%-10s %-28s %9s %9s %9s %8s  %s\n' entries command scan_s seconds peak_MB vs_scan "per-pair ratios"
for n in 100k 1m; do
  count=$([ "$n" = 100k ] && echo 100000 || echo 1000000)
  manifest="$OUT/manifest-$n.yaml"
  if [ ! -s "$manifest" ]; then
    echo "generating $manifest"
    python3 "$HERE/gen-manifest.py" "$count" > "$manifest.tmp" && mv "$manifest.tmp" "$manifest"
  fi
  # The state records exactly the files gen-manifest.py writes (sbsync-state-bench fill); the
  # fill row times making it.
  state="$OUT/plan-$n.state"
  fill=$(fill_best "$count" "$state")  # an assignment, so that a failed fill stops the bench
  read -r fill_s fill_cpu fill_mb <<< "$fill"
  printf '%-10s %-28s %9s %9s %9s %8s\n' "$n" "state fill (CPU ${fill_cpu} s)" "-" "$fill_s" "$fill_mb" "-"

  read -r ratio scan_s s mb rest <<< "$(paired "$PAIRS" "$OUT/yaml-scan" "$manifest" --- \
    "$BIN_DIR/sbsync" plan -f "$manifest" --state "$state" --detailed-exitcode --color never)"
  if [ "$(tail -n 1 "$OUT/last.out")" != "No changes. The projects match the manifest." ]; then
    echo "plan-bench: the no-op plan of $n found changes:" >&2; tail -n 5 "$OUT/last.out" >&2; exit 1
  fi
  printf '%-10s %-28s %9s %9s %9s %8s  %s\n' "$n" "sbsync plan (no-op)" "$scan_s" "$s" "$mb" "$ratio" "$rest"
  if [ "$n" = 1m ]; then noop_ratio=$ratio; noop_mb=$mb; fi

  # A first plan: no state file, so every entry is an import.
  read -r ratio scan_s s mb rest <<< "$(PAIRED_ALLOW_2=1 paired "$PAIRS" "$OUT/yaml-scan" "$manifest" --- \
    "$BIN_DIR/sbsync" plan -f "$manifest" --state "$OUT/none-$n.state" --detailed-exitcode --color never)"
  printf '%-10s %-28s %9s %9s %9s %8s  %s\n' "$n" "sbsync plan (first, no state)" "$scan_s" "$s" "$mb" "$ratio" "$rest"
  if [ "$n" = 1m ]; then first_ratio=$ratio; first_mb=$mb; fi
done
if awk -v r="$noop_ratio" -v m="$noop_mb" 'BEGIN { exit !(r <= 2.0 && m < 1536) }'; then
  echo "acceptance: sbsync plan no-op on 1m at most 2.00 x the scan, peak under 1536 MB: met"
else
  echo "acceptance: sbsync plan no-op on 1m at most 2.00 x the scan, peak under 1536 MB: NOT met"
fi
if awk -v r="$first_ratio" -v m="$first_mb" 'BEGIN { exit !(r <= 2.0 && m < 1536) }'; then
  echo "acceptance: sbsync plan first (no state) on 1m at most 2.00 x the scan, peak under 1536 MB: met"
else
  echo "acceptance: sbsync plan first (no state) on 1m at most 2.00 x the scan, peak under 1536 MB: NOT met"
fi
# A missed target is reported above, not turned into a failure: the apply rows still run.
exit 0
