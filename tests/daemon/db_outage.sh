#!/usr/bin/env bash
# The database server stops while files arrive, and comes back: the daemon
# logs the outage, keeps the files in the inbox, reconnects with backoff and
# loads everything after recovery, then refreshes once.
. "$(dirname "$0")/lib.sh"
use_own_server
write_config
create_database
generate_data 0.01 "$work/data"
start_daemon

"$src/scripts/privdb.sh" stop "$db_dir" >/dev/null
for f in olist_customers_dataset.csv olist_orders_dataset.csv olist_order_payments_dataset.csv; do
  cp "$work/data/$f" "$work/inbox/"
done
wait_for_log "db.connection_lost|db.unavailable" 30
wait_for_log "db.reconnect_scheduled attempt=2" 30
# Files wait where they are while the server is down.
expect_eq "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" 3 "files waiting in the inbox"
"$src/scripts/privdb.sh" start "$db_dir" >/dev/null
wait_for_log "db.recovered" 60
wait_for_log "refresh.finished trigger=file" 60
expect_eq "$(ls "$work/inbox/processed" | wc -l)" 3 "files in processed/"
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$(generated_rows olist_orders_dataset.csv)" "orders loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM customers")" "$(generated_rows olist_customers_dataset.csv)" "customers loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" 3 "ledger rows 'loaded'"
# A run cut off by the outage is closed as abandoned, not left 'running'.
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE status='running'")" 0 "runs left running"
stop_daemon
echo ok
