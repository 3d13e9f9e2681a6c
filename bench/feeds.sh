#!/usr/bin/env bash
# A Shopify export (segmentd-datagen --format shopify: one row per line
# item, a second currency with its rates file) through a running daemon,
# against the anchor: the mysql client's own LOAD DATA LOCAL INFILE of the
# same orders pre-flattened into the canonical tables (customers, orders,
# order_payments, as segmentd's load leaves them), into an empty schema
# on the same server in the same run. Also the daemon's peak RSS.
#
#   bench/feeds.sh [--scale 1] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (measure, value, unit) and DIR/summary.md. Not a
# test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start feeds measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
private_db "$out/db"
sql() { client -N -B "$1" -e "$2"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

log "a Shopify export at scale $scale"
"$datagen" --scale "$scale" --seed 1 --format shopify --out "$out/data" >"$out/data.counts"
export_rows=$(awk -F'\t' '/-orders.csv/ {print $2}' "$out/data.counts")
client -e "DROP DATABASE IF EXISTS feeds; CREATE DATABASE feeds; DROP DATABASE IF EXISTS anchor; CREATE DATABASE anchor"
mkdir -p "$out/inbox"
cat >"$out/feeds.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: feeds
inbox:
  path: $out/inbox
  settle_seconds: 1
refresh:
  after_ingest: false
currency:
  base: BRL
observability:
  listen: ""
YAML
"$bin" --config "$out/feeds.yaml" migrate >/dev/null
sed 's/database: feeds/database: anchor/' "$out/feeds.yaml" >"$out/anchor.yaml"
"$bin" --config "$out/anchor.yaml" migrate >/dev/null

logf=$out/daemon.log
"$bin" --config "$out/feeds.yaml" run 2>"$logf" &
daemon=$!
wait_log "$logf" "daemon.ready" 60
mv "$out/data/rates.csv" "$out/inbox/"
wait_log "$logf" "ingest.file .*file=[^ ]*rates.csv status=loaded" 120
mv "$out/data/shopify-orders.csv" "$out/inbox/"
wait_log "$logf" "ingest.file .*file=[^ ]*shopify-orders.csv status=loaded" 7200
rss_mb=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status")
kill -TERM "$daemon"
wait "$daemon" || true
daemon=""
load_s=$(sql feeds "SELECT ROUND(r.duration_ms / 1000, 3) FROM pipeline_runs r JOIN ingested_files f ON f.run_id = r.run_id
                    WHERE f.original_name LIKE '%shopify-orders.csv' AND f.status = 'loaded'")
orders=$(sql feeds "SELECT COUNT(*) FROM orders")

log "the anchor: the client's LOAD DATA of the same rows, flattened"
sql feeds "SELECT customer_id, customer_unique_id FROM customers" >"$out/customers.tsv"
sql feeds "SELECT order_id, customer_id, order_status, order_purchase_timestamp FROM orders" >"$out/orders.tsv"
sql feeds "SELECT order_id, payment_sequential, payment_type, payment_installments, payment_value FROM order_payments" \
  >"$out/payments.tsv"
t0=$(date +%s.%N)
client --local-infile=1 anchor -e "
  LOAD DATA LOCAL INFILE '$out/customers.tsv' INTO TABLE customers (customer_id, customer_unique_id);
  LOAD DATA LOCAL INFILE '$out/orders.tsv' INTO TABLE orders (order_id, customer_id, order_status, order_purchase_timestamp);
  LOAD DATA LOCAL INFILE '$out/payments.tsv' INTO TABLE order_payments;"
anchor_s=$(seconds_since "$t0")
ratio=$(awk -v a="$anchor_s" -v s="$load_s" 'BEGIN { printf "%.2f", a / s }')
record export_rows "$export_rows" rows
record orders "$orders" orders
record segmentd_load_s "$load_s" s
record client_load_data_s "$anchor_s" s
record speed_vs_client "$ratio" x
record daemon_peak_rss_mb "$rss_mb" MB
{
  echo "# A Shopify export at ${scale}x through a running daemon, against the client's LOAD DATA"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | export rows | orders | segmentd (ingest run) | client LOAD DATA of the flattened rows | speed vs client | daemon peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  echo "| $scale | $export_rows | $orders | $load_s s | $anchor_s s | $ratio | $rss_mb MB |"
} >"$out/summary.md"
cat "$out/summary.md"
