#!/usr/bin/env bash
# A daily delta (datagen --delta-day 1: a hundredth of the orders, new)
# through a running daemon, as the Olist files and as the same day's
# Shopify export, each onto its own base of the same orders (loaded and
# refreshed first) on the same server in the same run: the ingest runs'
# time plus the incremental refresh that follows.
#
#   bench/feed_delta.sh [--scale 10] [--day 1] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (measure, value, unit) and DIR/summary.md. Not a
# test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=10 day=1 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --day) day=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01; shift ;;
    *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start feed-delta measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
private_db "$out/db"
sql() { client -N -B "$1" -e "$2"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

# setup NAME BASE-FILES...: a migrated schema NAME with its base loaded and refreshed.
setup() {
  local name=$1
  shift
  client -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name"
  mkdir -p "$out/$name-inbox"
  cat >"$out/$name.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: $name
inbox:
  path: $out/$name-inbox
  settle_seconds: 1
currency:
  base: BRL
observability:
  listen: ""
YAML
  "$bin" --config "$out/$name.yaml" migrate >/dev/null
  "$bin" --config "$out/$name.yaml" ingest "$@" >/dev/null 2>>"$out/cli.log"
  "$bin" --config "$out/$name.yaml" refresh >/dev/null 2>>"$out/cli.log"
}

# delta NAME FILES...: dropped into a daemon on NAME; prints the ingest
# runs' seconds, the refresh's seconds and its mode.
delta() {
  local name=$1 logf=$out/$1-daemon.log first
  shift
  first=$(sql "$name" "SELECT MAX(run_id) FROM pipeline_runs")
  "$bin" --config "$out/$name.yaml" run 2>"$logf" &
  daemon=$!
  wait_log "$logf" "daemon.ready" 60
  for f in "$@"; do cp "$f" "$out/$name-inbox/.$(basename "$f").part"; done
  for f in "$@"; do mv "$out/$name-inbox/.$(basename "$f").part" "$out/$name-inbox/$(basename "$f")"; done
  wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600
  kill -TERM "$daemon"
  wait "$daemon" || true
  daemon=""
  sql "$name" "SELECT ROUND(SUM(IF(kind = 'ingest', duration_ms, 0)) / 1000, 3),
                      ROUND(SUM(IF(kind = 'refresh', duration_ms, 0)) / 1000, 3),
                      MAX(IF(kind = 'refresh', JSON_UNQUOTE(JSON_EXTRACT(details, '\$.mode')), NULL))
               FROM pipeline_runs WHERE run_id > $first"
}

log "bases and day $day at scale $scale"
"$datagen" --scale "$scale" --seed 1 --out "$out/olist" >/dev/null
"$datagen" --scale "$scale" --seed 1 --format shopify --out "$out/shopify" >/dev/null
"$datagen" --scale "$scale" --seed 1 --delta-day "$day" --out "$out/olist-day" >/dev/null
"$datagen" --scale "$scale" --seed 1 --delta-day "$day" --format shopify --out "$out/shopify-day" >/dev/null
mv "$out/shopify-day/shopify-orders.csv" "$out/shopify-day/shopify-day.csv"
setup olist "$out"/olist/*.csv
setup shop "$out/shopify/rates.csv" "$out/shopify/shopify-orders.csv"

log "the Olist delta"
read -r olist_ingest olist_refresh olist_mode < <(delta olist "$out"/olist-day/*.csv)
log "the Shopify delta"
read -r shop_ingest shop_refresh shop_mode < <(delta shop "$out/shopify-day/shopify-day.csv")
olist_total=$(awk -v a="$olist_ingest" -v b="$olist_refresh" 'BEGIN { printf "%.3f", a + b }')
shop_total=$(awk -v a="$shop_ingest" -v b="$shop_refresh" 'BEGIN { printf "%.3f", a + b }')
ratio=$(awk -v s="$shop_total" -v o="$olist_total" 'BEGIN { printf "%.2f", s / o }')
record olist_ingest_s "$olist_ingest" s
record olist_refresh_s "$olist_refresh" s
record shopify_ingest_s "$shop_ingest" s
record shopify_refresh_s "$shop_refresh" s
record shopify_vs_olist "$ratio" x
{
  echo "# Day $day's delta at ${scale}x through a running daemon: Olist files against the Shopify export"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | day | Olist: ingest + refresh (mode) | Shopify: ingest + refresh (mode) | Shopify / Olist |"
  echo "| --- | --- | --- | --- | --- |"
  echo "| $scale | $day | $olist_ingest s + $olist_refresh s ($olist_mode) | $shop_ingest s + $shop_refresh s ($shop_mode) | $ratio |"
} >"$out/summary.md"
cat "$out/summary.md"
