#!/usr/bin/env bash
# segmentd explain against the target (under 100 ms per customer) on
# segmentd-datagen's Olist-like data after two refreshes (so a history),
# with predictions: N random customers explained by one process (--json),
# per customer = (its time - the same process explaining no customer) / N.
# Anchor in the same run: the mysql client reading the same customers'
# rows of customer_segments by primary key, one statement each.
#
#   bench/explain.sh [--scale 1] [--customers 200] [--pool MB] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (measure, value, unit) and DIR/summary.md. Not a
# test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 customers=200 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --customers) customers=$2; shift 2 ;;
    --pool) bench_pool_mb=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01 customers=20; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start explain measure value unit
stop_children() { :; }
[ -n "${bench_pool_mb:-}" ] && bench_pool "$bench_pool_mb"
private_db "$out/db"
sql() { client -N -B explain_bench -e "$1"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

log "Olist-like data at scale $scale, two refreshes"
loaded_database explain_bench "$scale"
"$bin" --config "$out/bench.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
"$bin" --config "$out/bench.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
total=$(sql "SELECT COUNT(*) FROM customer_scores")
sql "SELECT customer_unique_id FROM customer_scores ORDER BY RAND(1) LIMIT $customers" >"$out/customers.txt"

log "explain $customers customers"
# Warm: the pages these customers' rows are on, as a support tool's steady state.
"$bin" --config "$out/bench.yaml" explain --json <"$out/customers.txt" >/dev/null 2>>"$out/cli.log"
t0=$(date +%s.%N)
"$bin" --config "$out/bench.yaml" explain --json <"$out/customers.txt" >"$out/explained.json" 2>>"$out/cli.log"
with_s=$(seconds_since "$t0")
t0=$(date +%s.%N)
"$bin" --config "$out/bench.yaml" explain --json nobody >/dev/null 2>&1 || true
base_s=$(seconds_since "$t0")
explained=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$out/explained.json")
per_ms=$(awk -v w="$with_s" -v b="$base_s" -v n="$explained" 'BEGIN { printf "%.1f", (w - b) * 1000 / n }')

log "the anchor: the client's primary-key reads of the same customers"
awk '{ printf "SELECT * FROM customer_segments WHERE customer_unique_id = '\''%s'\'';\n", $1 }' "$out/customers.txt" >"$out/anchor.sql"
t0=$(date +%s.%N)
client -N -B explain_bench <"$out/anchor.sql" >/dev/null
anchor_ms=$(awk -v s="$(seconds_since "$t0")" -v n="$customers" 'BEGIN { printf "%.2f", s * 1000 / n }')
record customers "$total" customers
record explained "$explained" customers
record explain_per_customer_ms "$per_ms" ms
record process_without_customers_s "$base_s" s
record client_pk_read_per_customer_ms "$anchor_ms" ms
{
  echo "# segmentd explain at ${scale}x"
  echo
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | customers | explained | explain per customer | the process alone (connect, checks) | client's primary-key read per customer |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "| $scale | $total | $explained | $per_ms ms | $base_s s | $anchor_ms ms |"
} >"$out/summary.md"
cat "$out/summary.md"
