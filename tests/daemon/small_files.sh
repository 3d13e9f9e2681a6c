#!/usr/bin/env bash
# A burst of small files (the orders split into 20 pieces, arriving at
# once, without their customers): each is loaded once, one refresh follows,
# and every run reports its reference checks, kept up to date file by file
# (reference_gaps.h): the last run counts every piece's orders.
. "$(dirname "$0")/lib.sh"
write_config ""
create_database
generate_data 0.02 "$work/data"
# One customer none of the orders has: the check's gaps are kept (not so
# while customers is empty, when every order simply counts).
sql "INSERT INTO customers (customer_id, customer_unique_id) VALUES ('nobody', 'nobody')"
start_daemon

pieces=20
staging=$work/staging
mkdir -p "$staging"
orders=$work/data/olist_orders_dataset.csv
rows=$(generated_rows olist_orders_dataset.csv)
per=$(((rows + pieces - 1) / pieces))
tail -n +2 "$orders" | split -l "$per" -d -a 2 - "$staging/piece-"
n=0
for p in "$staging"/piece-*; do
  { head -n1 "$orders"; cat "$p"; } >"$staging/orders-$(basename "$p").csv"
  rm "$p"
  n=$((n + 1))
done
expect_eq "$n" "$pieces" "pieces written"
# One rename each, on the same file system: all arrive within a moment.
for f in "$staging"/*.csv; do mv "$f" "$work/inbox/"; done

wait_for_log "refresh.finished trigger=file" 120
sleep 5  # longer than the debounce: a second refresh would show up here
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" "$pieces" "pieces loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$rows" "orders loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh'")" 1 "refreshes after the burst"
expect_eq "$(ls "$work/inbox/processed" | wc -l)" "$pieces" "pieces in processed/"

ingest="kind='ingest' AND \`trigger\`='file' AND status='succeeded'"
checked=$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE $ingest AND JSON_CONTAINS_PATH(details, 'one', '\$.data_quality.orders_with_unknown_customer')")
expect_eq "$checked" "$pieces" "runs that reported the customer check"
# The newest run counted the orders of every piece: none of their
# customers was loaded, so each order points at an unknown one.
last=$(sql "SELECT run_id FROM pipeline_runs WHERE $ingest ORDER BY run_id DESC LIMIT 1")
expect_eq "$(sql "SELECT JSON_EXTRACT(details, '\$.data_quality.orders_with_unknown_customer') FROM pipeline_runs WHERE run_id = $last")" \
  "$rows" "dangling customer references counted by the last run"
expect_eq "$(sql "SELECT COALESCE(SUM(child_rows), 0) FROM reference_gaps WHERE check_name = 'orders_with_unknown_customer'")" \
  "$rows" "dangling customer references kept"
stop_daemon
echo "ok"
