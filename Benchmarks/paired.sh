# Paired, alternating runs (sourced by the bench scripts).
#
# A noisy shared machine makes best-of-N flatter a command; timing a command against its
# baseline in alternation (baseline, command, baseline, command, …) and taking the median of
# the per-pair ratios cancels most of the drift, because both runs of a pair see the same load.
#
# paired PAIRS BASELINE_CMD... --- CMD...
#   Runs the two commands alternately PAIRS times under GNU time, and prints one line:
#   "median_ratio baseline_median_s command_median_s command_max_peak_mb ratios…"
#   A failing command stops the bench loudly ($OUT/last.out and last.err hold its output).
#   The command's exit status 2 (plan --detailed-exitcode: changes) is accepted when
#   PAIRED_ALLOW_2=1.

paired() {
  local pairs=$1; shift
  local base=() cmd=() seen=0
  for arg in "$@"; do
    if [ "$arg" = "---" ]; then seen=1; continue; fi
    if [ "$seen" = 0 ]; then base+=("$arg"); else cmd+=("$arg"); fi
  done
  local log="$OUT/time.log" ratios="" bases="" cmds="" peak=0 b c m status
  for _ in $(seq "$pairs"); do
    for which in base cmd; do
      local -n argv=$which
      set +e
      /usr/bin/time -o "$log" -f '%e %M' "${argv[@]}" > "$OUT/last.out" 2> "$OUT/last.err"
      status=$?
      set -e
      if [ "$status" -ne 0 ] && ! { [ "$status" -eq 2 ] && [ "${PAIRED_ALLOW_2:-0}" = 1 ] && [ "$which" = cmd ]; }; then
        echo "bench: command failed (exit $status): ${argv[*]}" >&2
        head -c 4000 "$OUT/last.out" >&2
        cat "$OUT/last.err" >&2
        exit 1
      fi
      # The last line: GNU time writes "Command exited with non-zero status N" before it.
      if [ "$which" = base ]; then
        b=$(awk 'END { print $1 }' "$log")
      else
        read -r c m < <(awk 'END { printf "%s %.0f\n", $1, $2 / 1024 }' "$log")
      fi
    done
    ratios="$ratios $(awk -v a="$c" -v b="$b" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
    bases="$bases $b"
    cmds="$cmds $c"
    if [ "$m" -gt "$peak" ]; then peak=$m; fi
  done
  # The ratio to three places: a verdict on a bound (≤ 0.25) must not be decided by rounding.
  echo "$(MEDIAN_FORMAT=%.3f median $ratios) $(median $bases) $(median $cmds) $peak$ratios"
}

# median NUMBERS…: the median (the mean of the middle two for an even count), to two places
# (MEDIAN_FORMAT overrides).
median() {
  printf '%s\n' "$@" | sort -g | awk -v f="${MEDIAN_FORMAT:-%.2f}" '{ v[NR] = $1 } END { if (NR % 2) printf f, v[(NR + 1) / 2]; else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
