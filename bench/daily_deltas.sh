#!/usr/bin/env bash
# Daily deltas into a running daemon (the daily-deltas issue's workload): a
# database loaded with the nine files at --scale and refreshed, then --days
# consecutive days of `segmentd-datagen --delta-day` (README: the mix), each
# day's five files renamed into the inbox together. For each day: the
# ingest runs' time, the refresh's time and its steps, the end to end from
# the last rename to the refresh recorded, and the history the refresh
# added (its rows in customer_segment_changes, and that table's data +
# index size before and after, from the server's statistics). After the
# last day, the daemon stopped, one full refresh of the same data: the
# figure each day's refresh is compared with, on the same server in the
# same state, and its check of the incremental results.
#
#   bench/daily_deltas.sh [--scale 10] [--days 7] [--pool MB] [--out DIR] [--smoke]
#
# --pool sizes the server's buffer pool (privdb.sh's default is 512 MB,
# which a 10x database does not fit). --scale 100 is opt-in: what its base
# and each day take in disk and time on the reference machine is in
# bench/reference/2026-12-06/NOTES.md, "Daily deltas at 100x, days 1 and 2".
#
# Writes DIR/results.tsv (day, measure, value, unit) and DIR/summary.md.
# Not a test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=10 days=7 out="" pool=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --pool) pool=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01 days=2; shift ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start daily-deltas day measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
[ -z "$pool" ] || bench_pool "$pool"
private_db "$out/db"
sql() { client -N -B deltas -e "$1"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2
history_bytes() {
  sql "ANALYZE TABLE customer_segment_changes" >/dev/null
  sql "SELECT DATA_LENGTH + INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'deltas' AND TABLE_NAME = 'customer_segment_changes'"
}

log "base: the nine files at scale $scale"
"$datagen" --scale "$scale" --seed 7 --out "$out/base" >/dev/null
client -e "DROP DATABASE IF EXISTS deltas; CREATE DATABASE deltas"
mkdir -p "$out/inbox"
cat >"$out/deltas.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: deltas
inbox:
  path: $out/inbox
refresh:
  debounce_seconds: 2
observability:
  listen: ""
YAML
"$bin" --config "$out/deltas.yaml" migrate >/dev/null
t0=$(date +%s.%N)
"$bin" --config "$out/deltas.yaml" ingest "$out/base"/*.csv >/dev/null 2>>"$out/cli.log"
record 0 base_ingest_s "$(seconds_since "$t0")" s
t0=$(date +%s.%N)
"$bin" --config "$out/deltas.yaml" refresh >/dev/null 2>>"$out/cli.log"
record 0 base_refresh_s "$(seconds_since "$t0")" s

logf=$out/daemon.log
"$bin" --config "$out/deltas.yaml" run 2>"$logf" &
daemon=$!
wait_log "$logf" "daemon.ready" 120
for ((day = 1; day <= days; day++)); do
  "$datagen" --scale "$scale" --seed 7 --delta-day "$day" --out "$out/day$day" >"$out/day$day.counts"
  before_run=$(sql "SELECT COALESCE(MAX(run_id), 0) FROM pipeline_runs")
  before_bytes=$(history_bytes)
  finished=$(grep -c "refresh.finished trigger=file .*status=succeeded" "$logf" || true)
  for f in "$out/day$day"/*.csv; do cp "$f" "$out/inbox/.$(basename "$f").part"; done
  for f in "$out/day$day"/*.csv; do mv "$out/inbox/.$(basename "$f").part" "$out/inbox/$(basename "$f")"; done
  t0=$(date +%s.%N)
  wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600 $((finished + 1))
  record "$day" end_to_end_s "$(seconds_since "$t0")" s
  runs="FROM pipeline_runs WHERE run_id > $before_run"
  refresh=$(sql "SELECT MAX(run_id) $runs AND kind = 'refresh' AND status = 'succeeded'")
  record "$day" new_orders "$(awk -F'\t' '$1 == "olist_customers_dataset.csv" { print $2 }' "$out/day$day.counts")" rows
  record "$day" files_loaded "$(sql "SELECT COUNT(*) FROM ingested_files WHERE run_id > $before_run AND status = 'loaded'")" files
  record "$day" ingest_runs_s "$(sql "SELECT ROUND(SUM(duration_ms) / 1000, 3) $runs AND kind = 'ingest'")" s
  record "$day" refresh_s "$(sql "SELECT ROUND(duration_ms / 1000, 3) FROM pipeline_runs WHERE run_id = $refresh")" s
  record "$day" refresh_steps "$(sql "SELECT CAST(step_timings AS CHAR) FROM pipeline_runs WHERE run_id = $refresh")" json
  record "$day" history_rows_added "$(sql "SELECT COUNT(*) FROM customer_segment_changes WHERE run_id = $refresh")" rows
  record "$day" history_bytes_added "$(($(history_bytes) - before_bytes))" bytes
  log "day $day: refresh run $refresh"
done
kill -TERM "$daemon"
wait "$daemon" || true
daemon=""
t0=$(date +%s.%N)
"$bin" --config "$out/deltas.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
record last full_refresh_s "$(seconds_since "$t0")" s
full=$(sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'")
record last full_refresh_steps "$(sql "SELECT CAST(step_timings AS CHAR) FROM pipeline_runs WHERE run_id = $full")" json
record last full_refresh_check "$(sql "SELECT JSON_UNQUOTE(JSON_EXTRACT(details, '$.live_check')) FROM pipeline_runs WHERE run_id = $full")" text

value() { awk -F'\t' -v d="$1" -v m="$2" '$1 == d && $2 == m { print $3 }' "$results"; }
{
  echo "# $days daily deltas into a running daemon on a ${scale}x database"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "base: ingest $(value 0 base_ingest_s) s, refresh $(value 0 base_refresh_s) s"
  echo "after day $days: full refresh $(value last full_refresh_s) s ($(value last full_refresh_check))"
  echo
  echo "| day | new orders | files | ingest runs | refresh | against the full refresh | last rename to refresh recorded | history rows added | history bytes added |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for ((day = 1; day <= days; day++)); do
    echo "| $day | $(value "$day" new_orders) | $(value "$day" files_loaded) | $(value "$day" ingest_runs_s) s | $(value "$day" refresh_s) s | $(awk -v a="$(value "$day" refresh_s)" -v b="$(value last full_refresh_s)" 'BEGIN { printf "%.2f×", a / b }') | $(value "$day" end_to_end_s) s | $(value "$day" history_rows_added) | $(value "$day" history_bytes_added) |"
  done
} >"$out/summary.md"
cat "$out/summary.md"
