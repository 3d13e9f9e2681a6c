#!/usr/bin/env bash
# The inbox is deleted and re-created, then moved away and replaced (issue
# 39 item 7): each time the loss of the watch is logged, the folder is
# watched again once it is back, and a file dropped into the new folder is
# loaded at once, not at the next rescan (set to an hour here).
. "$(dirname "$0")/lib.sh"
write_config
sed -i 's/^  rescan_seconds: 2$/  rescan_seconds: 3600/' "$work/segmentd.yaml"
grep -q "rescan_seconds: 3600" "$work/segmentd.yaml" || fail "config not rewritten"
create_database
generate_data 0.01 "$work/data"
start_daemon

# Deleted (with processed/ inside it) and re-created.
rm -rf "$work/inbox"
wait_for_log "inbox.watch_lost dir=$work/inbox why=deleted" 10
mkdir "$work/inbox"
wait_for_log "inbox.watch_restored" 10
drop "$work/data/olist_customers_dataset.csv"
wait_for_log "inbox.file_processed file=olist_customers_dataset.csv" 20
expect_eq "$(sql "SELECT COUNT(*) FROM customers")" "$(generated_rows olist_customers_dataset.csv)" "customers loaded"

# Moved away, a new folder in its place: the old one is not the inbox.
mv "$work/inbox" "$work/inbox.old"
wait_for_log "inbox.watch_lost dir=$work/inbox why=moved" 10
mkdir "$work/inbox"
wait_for_log "inbox.watch_restored" 10 2
drop "$work/data/olist_orders_dataset.csv"
wait_for_log "inbox.file_processed file=olist_orders_dataset.csv" 20
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$(generated_rows olist_orders_dataset.csv)" "orders loaded"
# A file dropped into the moved folder is not taken.
drop_files "$work/inbox.old" "$work/data/olist_order_payments_dataset.csv"
sleep 2
expect_eq "$(sql "SELECT COUNT(*) FROM order_payments")" 0 "payments from the old folder"
stop_daemon
echo ok
