#!/usr/bin/env bash
# Many small files at once into a running daemon (the daily-deltas issue's
# case): a database loaded with the nine files at --scale, then --files
# files of --orders new orders each (from another seed) renamed into the
# inbox together. Measures the wall time from the first rename to the
# refresh recorded, the ingest runs' own time and the slowest of them, how
# many reported their reference checks, and how many refreshes followed.
#
#   bench/small_files.sh [--scale 1] [--files 200] [--orders 100] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (measure, value, unit) and DIR/summary.md. Not a
# test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 files=200 orders=100 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01 files=10 orders=10; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start small-files measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
private_db "$out/db"
sql() { client -N -B small -e "$1"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

log "base: the nine files at scale $scale"
"$datagen" --scale "$scale" --seed 1 --out "$out/base" >/dev/null
client -e "DROP DATABASE IF EXISTS small; CREATE DATABASE small"
mkdir -p "$out/inbox"
cat >"$out/small.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: small
inbox:
  path: $out/inbox
observability:
  listen: ""
YAML
"$bin" --config "$out/small.yaml" migrate >/dev/null
"$bin" --config "$out/small.yaml" ingest "$out/base"/*.csv >/dev/null 2>>"$out/cli.log"
"$bin" --config "$out/small.yaml" refresh >/dev/null 2>>"$out/cli.log"

# New orders from another seed (other ids), $orders to a file.
log "$files files of $orders orders"
needed=$((files * orders))
delta_scale=$(awk -v n="$needed" 'BEGIN { printf "%.4f", n / 99441 * 1.05 + 0.0001 }')
"$datagen" --scale "$delta_scale" --seed 2 --out "$out/delta" >/dev/null
src=$out/delta/olist_orders_dataset.csv
[ "$(($(wc -l <"$src") - 1))" -ge "$needed" ] || { echo "the generator made too few orders" >&2; exit 1; }
mkdir -p "$out/pieces"
sed -n "2,$((needed + 1))p" "$src" | split -l "$orders" -d -a 4 - "$out/pieces/p"
for p in "$out/pieces"/p*; do
  { head -n1 "$src"; cat "$p"; } >"$p.csv"
  rm "$p"
done

logf=$out/daemon.log
"$bin" --config "$out/small.yaml" run 2>"$logf" &
daemon=$!
wait_log "$logf" "daemon.ready" 60
first_run=$(sql "SELECT COALESCE(MAX(run_id), 0) FROM pipeline_runs")
t0=$(date +%s.%N)
for p in "$out/pieces"/*.csv; do mv "$p" "$out/inbox/"; done
wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600
total=$(seconds_since "$t0")
sleep 5  # a second refresh within the debounce would show here
kill -TERM "$daemon"
wait "$daemon" || true
daemon=""

runs="FROM pipeline_runs WHERE run_id > $first_run AND kind = 'ingest'"
loaded=$(sql "SELECT COUNT(*) FROM ingested_files WHERE run_id > $first_run AND status = 'loaded'")
ingest_s=$(sql "SELECT ROUND(SUM(duration_ms) / 1000, 3) $runs")
checked=$(sql "SELECT COUNT(*) $runs AND JSON_CONTAINS_PATH(details, 'one', '\$.data_quality')")
slowest_s=$(sql "SELECT COALESCE(ROUND(MAX(duration_ms) / 1000, 3), 0) $runs")
refreshes=$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE run_id > $first_run AND kind = 'refresh'")
refresh_s=$(sql "SELECT ROUND(SUM(duration_ms) / 1000, 3) FROM pipeline_runs WHERE run_id > $first_run AND kind = 'refresh'")
record files_loaded "$loaded" files
record end_to_end_s "$total" s
record ingest_runs_s "$ingest_s" s
record runs_checking "$checked" runs
record slowest_ingest_run_s "$slowest_s" s
record refreshes "$refreshes" runs
record refresh_s "$refresh_s" s
{
  echo "# $files files of $orders orders into a running daemon on a ${scale}x database"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | files | loaded | first rename to refresh recorded | ingest runs | runs reporting checks | slowest run | refreshes (time) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| $scale | $files | $loaded | $total s | $ingest_s s | $checked | $slowest_s s | $refreshes ($refresh_s s) |"
} >"$out/summary.md"
cat "$out/summary.md"
