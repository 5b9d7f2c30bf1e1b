# Sourced by the demo scripts: start_emulator LOG ARGS… starts `$bin/sbsync-emulator` on a free
# port with ARGS, sets `emulator` (its pid) and `endpoint` (its API URL, read from LOG), and
# stops the demo with the log when it does not come up.
start_emulator() {
  local log="$1"; shift
  "$bin/sbsync-emulator" --port 0 "$@" >"$log" 2>&1 &
  emulator=$!
  endpoint=""
  for _ in $(seq 1 100); do
    endpoint="$(grep -o 'http://[^ ]*/v2' "$log" | head -n1 || true)"
    [ -n "$endpoint" ] && break
    if ! kill -0 "$emulator" 2>/dev/null; then cat "$log" >&2; echo "demo: the emulator did not start" >&2; exit 1; fi
    sleep 0.1
  done
  [ -n "$endpoint" ] || { cat "$log" >&2; echo "demo: the emulator did not say where it listens" >&2; exit 1; }
  echo "# emulator listening on $endpoint"
}
