#!/usr/bin/env bash
# A file that changes under its load (issue 39 items 1 and 2). The test build
# pauses each load just before its commit (SEGMENTD_TEST_LOAD_PAUSE), so
# every change below lands inside a load, whatever the machine's speed:
#  1. another file renamed over the loading one: the load stands (the ledger
#     has what was read), the new file is not moved in its place but loaded
#     as a new drop;
#  2. rows appended during the load: rolled back, taken again once settled,
#     loaded whole; the ledger's one row has the final size;
#  3. a slow producer, its file still open between two writes: not taken
#     until it is closed; all its rows are loaded.
. "$(dirname "$0")/lib.sh"
write_config
create_database
generate_data 0.01 "$work/data"
export SEGMENTD_TEST_LOAD_PAUSE=3
daemon_bin=$test_bin start_daemon
ledger() { sql "SELECT status, rows_loaded, size_bytes FROM ingested_files WHERE original_name LIKE '%/$1' ORDER BY id"; }

# 1. Renamed over: orders are loading; customers take the name.
cp "$work/data/olist_orders_dataset.csv" "$work/inbox/.drop.part"
mv "$work/inbox/.drop.part" "$work/inbox/drop.csv"
wait_for_log "test.load_paused file=drop.csv" 20
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/.other.part"
mv "$work/inbox/.other.part" "$work/inbox/drop.csv"
wait_for_log "inbox.file_changed_after_load file=drop.csv .*change=\"?replaced by another file" 20
wait_for_log "inbox.file_processed file=drop.csv" 20
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$(generated_rows olist_orders_dataset.csv)" "orders (the file read)"
expect_eq "$(sql "SELECT COUNT(*) FROM customers")" "$(generated_rows olist_customers_dataset.csv)" \
  "customers (the file renamed over it, loaded as a new drop)"
cmp -s "$work/inbox/processed/drop.csv" "$work/data/olist_customers_dataset.csv" ||
  fail "processed/drop.csv is not the file that was loaded last under that name"
expect_eq "$(ledger drop.csv | cut -f1 | tr '\n' ' ')" "loaded loaded " "the ledger's rows for drop.csv"

# 2. Appended during the load.
payments=$work/data/olist_order_payments_dataset.csv
total=$(generated_rows olist_order_payments_dataset.csv)
head -n $((total / 2 + 1)) "$payments" >"$work/inbox/.pay.part"
mv "$work/inbox/.pay.part" "$work/inbox/pay.csv"
wait_for_log "test.load_paused file=pay.csv" 20
tail -n +$((total / 2 + 2)) "$payments" >>"$work/inbox/pay.csv"
wait_for_log "inbox.file_changing file=pay.csv" 20
wait_for_log "inbox.file_processed file=pay.csv" 30
expect_eq "$(sql "SELECT COUNT(*) FROM order_payments")" "$total" "payments loaded (all of them, once)"
expect_eq "$(ledger pay.csv)" "$(printf 'loaded\t%s\t%s' "$total" "$(stat -c %s "$payments")")" \
  "the ledger's one row for pay.csv (status, rows, size)"

# 3. A slow producer: half, a pause longer than the settle time and the
# rescan, the rest, then close.
items=$work/data/olist_order_items_dataset.csv
total=$(generated_rows olist_order_items_dataset.csv)
python3 - "$items" "$work/inbox/items.csv" "$total" <<'PY'
import sys, time
src, dst, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src, "rb").readlines()
half = total // 2 + 1
with open(dst, "wb") as out:
    out.writelines(lines[:half])
    out.flush()
    time.sleep(6)
    out.writelines(lines[half:])
PY
wait_for_log "inbox.file_processed file=items.csv" 30
expect_eq "$(sql "SELECT COUNT(*) FROM order_items")" "$total" "items loaded (all of them)"
expect_eq "$(ledger items.csv | cut -f1,2)" "$(printf 'loaded\t%s' "$total")" "the ledger's one row for items.csv"
grep -q "inbox.file_changing file=items.csv .*still open for writing" "$work/daemon.log" ||
  fail "the open file was not noticed"
stop_daemon
echo ok
