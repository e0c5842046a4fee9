# Sourced by bench/run: notification delivery to one local HTTPS receiver (qod-bench receive,
# with a CA it makes at start that the server is told to trust). NOTIFY_COUNT sessions with
# that sink are loaded through qod_store, each with its AVAILABLE change queued in the outbox
# as a creation queues it; the server then delivers them all, and the receiver measures events
# per second from the first event to the last. Run once with the default concurrency per sink
# origin (8) and once with 64.

notify_once() {
  local per_origin=$1 out="$OUT/notify" dir="$WORK/notify-$1"
  mkdir -p "$dir"
  "$BENCH" receive --listen "127.0.0.1:$RECEIVER_PORT" --ca-out "$dir/ca.pem" \
    --expect "$NOTIFY_COUNT" --timeout-secs 120 --out "$out/notify-$per_origin.json" >/dev/null &
  local receiver=$! i
  PIDS+=("$receiver")
  for i in $(seq 1 100); do
    [ -s "$dir/ca.pem" ] && ! port_free "$RECEIVER_PORT" && break
    sleep 0.1
  done
  "$BENCH" load --database-url "sqlite://$dir/qod.sqlite3" --count "$NOTIFY_COUNT" --prefix 70 \
    --sink-url "https://127.0.0.1:$RECEIVER_PORT/notifications" --ids-out "$dir/ids.txt" \
    >"$out/load-$per_origin.json"
  cat >"$dir/config.toml" <<TOML
[notifications]
allowed_hosts = ["127.0.0.1"]
extra_root_ca_file = "$(realpath "$dir/ca.pem")"
max_in_flight_per_origin = $per_origin
TOML
  log "notifications: delivering $NOTIFY_COUNT events, $per_origin at a time"
  SERVER_CONFIG="$dir/config.toml" start_server "notify-$per_origin" "$dir"
  wait "$receiver" || true
  stop_pid "$SERVER_PID"
}

notify() {
  notify_once 8
  notify_once 64
}
