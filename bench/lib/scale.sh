# Sourced by bench/run: the scale figures, on SQLite (the embedded default, where the size of the
# store shows in the server process itself).
#  1. SCALE_COUNT live sessions loaded through qod_store: database size, start-up time to the
#     first 200 from /health, RSS, get and create at that size; get is compared with get on
#     the same database when it held 10,000 sessions.
#  2. BURST_COUNT more sessions, all due in the same instant, loaded into the same database:
#     time until every one is UNAVAILABLE with its change stored, and each expiry's lag.

scale() {
  local out="$OUT/scale" dir="$WORK/scale"
  local url="sqlite://$dir/qod.sqlite3"
  local small=10000
  mkdir -p "$dir"
  log "scale: get on a small store ($small sessions), the reference for the large one"
  "$BENCH" load --database-url "$url" --count "$small" --prefix 49 \
    --ids-out "$dir/small-ids.txt" >"$out/load-small.json"
  start_server scale "$dir"
  BENCH_IDS="$dir/small-ids.txt" wrk_run "$out/get-small.txt" get.lua "$PORT"
  stop_pid "$SERVER_PID"
  log "scale: loading $((SCALE_COUNT - small)) more live sessions through qod_store"
  "$BENCH" load --database-url "$url" --count "$((SCALE_COUNT - small))" --prefix 50 \
    --ids-out "$dir/ids.txt" >"$out/load.json"
  echo "{\"bytes\": $(du -cb "$dir"/qod.sqlite3* | tail -n1 | cut -f1)}" >"$out/db.json"

  log "scale: start-up, RSS, get and create at $SCALE_COUNT sessions"
  start_server scale "$dir"
  cp "$WORK/scale.ready.json" "$out/startup.json"
  local start_kb
  start_kb=$(rss_kb "$SERVER_PID" VmRSS)
  BENCH_IDS="$dir/ids.txt" wrk_run "$out/get.txt" get.lua "$PORT"
  BENCH_PREFIX=30 wrk_run "$out/create.txt" create.lua "$PORT"
  echo "{\"start_kb\": $start_kb, \"after_kb\": $(rss_kb "$SERVER_PID" VmRSS), \"hwm_kb\": $(rss_kb "$SERVER_PID" VmHWM)}" >"$out/rss.json"
  stop_pid "$SERVER_PID"

  # The burst is due once the load is surely done: its length estimated from the first load.
  local rate lead due_ms now_ms
  rate=$(sed -n 's/.*"per_sec": *\([0-9]*\).*/\1/p' "$out/load.json")
  lead=$(( BURST_COUNT * 3 / (2 * (${rate:-1000} > 0 ? ${rate:-1000} : 1000)) + 10 ))
  due_ms=$(( $(date +%s%3N) + lead * 1000 ))
  log "scale: loading $BURST_COUNT sessions due in ${lead} s"
  "$BENCH" load --database-url "$url" --count "$BURST_COUNT" --prefix 60 \
    --expire-at-ms "$due_ms" --ids-out "$dir/burst-ids.txt" >"$out/burst-load.json"
  start_server scale "$dir"
  now_ms=$(date +%s%3N)
  if [ "$now_ms" -lt "$due_ms" ]; then
    sleep "$(awk -v ms=$((due_ms - now_ms)) 'BEGIN {print ms / 1000}')"
  else
    log "scale: the burst load ended $((now_ms - due_ms)) ms after the due time"
  fi
  log "scale: waiting for the burst to expire"
  local burst=("$BENCH" burst --database-url "$url" --ids "$dir/burst-ids.txt"
    --log "$WORK/scale.log" --due-ms "$due_ms" --out "$out/burst.json")
  "${burst[@]}" --phase wait >/dev/null || log "scale: waiting for the burst failed"
  # The server keeps its SQLite file to itself: the store is read once it has stopped.
  stop_pid "$SERVER_PID"
  "${burst[@]}" --phase verify >/dev/null || log "scale: the burst check failed"
}
