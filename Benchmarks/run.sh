#!/usr/bin/env bash
# `make bench`: the libyaml event scan (the floor) against SyncYAML's parse and `sbsync validate`
# on synthetic manifests of 100,000 and 1,000,000 entries.
# Usage: Benchmarks/run.sh BIN_DIR   (BIN_DIR: `swift build -c release --show-bin-path`)
set -euo pipefail

BIN_DIR=${1:?usage: Benchmarks/run.sh BIN_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$ROOT/bench-out"
mkdir -p "$OUT"

# GNU time reports peak RSS (%M, KiB); the shell builtin cannot.
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (Debian package 'time')"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time
fi

cc -O2 "$HERE/yaml-scan.c" $(pkg-config --cflags --libs yaml-0.1) -o "$OUT/yaml-scan"

for n in 100k 1m; do
  count=$([ "$n" = 100k ] && echo 100000 || echo 1000000)
  file="$OUT/manifest-$n.yaml"
  # Reuse a generated file unless the generator changed since.
  if [ ! -s "$file" ] || [ "$HERE/gen-manifest.py" -nt "$file" ]; then
    echo "generating $file"
    python3 "$HERE/gen-manifest.py" "$count" > "$file.tmp" && mv "$file.tmp" "$file"
  fi
done

PAIRS=${BENCH_PAIRS:-5}
. "$HERE/paired.sh"

has_validate=0
if [ -x "$BIN_DIR/sbsync" ] && "$BIN_DIR/sbsync" validate --help > /dev/null 2>&1; then has_validate=1; fi
has_parse=0
if [ -x "$BIN_DIR/sbsync-yaml-bench" ]; then has_parse=1; fi

echo "paired runs: the scan and the command alternately, $PAIRS pairs (BENCH_PAIRS); the ratio is the median"
echo "of the per-pair ratios; seconds are medians; peak RSS is the command's highest"
printf '%-10s %-22s %9s %9s %9s %8s  %s\n' entries command scan_s seconds peak_MB vs_scan "per-pair ratios"
for n in 100k 1m; do
  file="$OUT/manifest-$n.yaml"
  if [ "$has_parse" = 1 ]; then
    read -r ratio scan_s s mb rest <<< "$(paired "$PAIRS" "$OUT/yaml-scan" "$file" --- "$BIN_DIR/sbsync-yaml-bench" "$file")"
    printf '%-10s %-22s %9s %9s %9s %8s  %s\n' "$n" "SyncYAML parse only" "$scan_s" "$s" "$mb" "$ratio" "$rest"
  fi
  if [ "$has_validate" = 1 ]; then
    read -r ratio scan_s s mb rest <<< "$(paired "$PAIRS" "$OUT/yaml-scan" "$file" --- "$BIN_DIR/sbsync" validate -f "$file")"
    printf '%-10s %-22s %9s %9s %9s %8s  %s\n' "$n" "sbsync validate" "$scan_s" "$s" "$mb" "$ratio" "$rest"
    if [ "$n" = 1m ]; then validate_ratio=$ratio; validate_mb=$mb; fi
  fi
done
[ "$has_parse" = 1 ] || echo "note: $BIN_DIR/sbsync-yaml-bench not built; parse-only row skipped"
[ "$has_validate" = 1 ] || echo "note: 'sbsync validate' is not there yet; its row is skipped"
if [ -n "${validate_ratio:-}" ] && awk -v r="$validate_ratio" -v m="$validate_mb" 'BEGIN { exit !(r <= 1.5 && m < 1024) }'; then
  echo "acceptance: sbsync validate on 1m at most 1.50 x the scan (median of pairs), peak under 1024 MB: met"
else
  echo "acceptance: sbsync validate on 1m at most 1.50 x the scan (median of pairs), peak under 1024 MB: NOT met"
fi
