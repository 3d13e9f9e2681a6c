#!/usr/bin/env bash
# A BI reader keeps a transaction open over customer_segments while a full
# refresh wants to swap its results in (issue 39 item 6: the RENAME waited a
# day behind the reader's metadata lock, and every later reader queued
# behind the RENAME). Now the swap waits at most 2 s per attempt and backs
# off: other readers keep getting answers within seconds, the running run
# names the reader's connection; after 30 s the refresh gives up, the file
# that arrived meanwhile is loaded while the reader still holds on, and the
# refresh tried again finishes once the reader is done, saying how long it
# waited.
. "$(dirname "$0")/lib.sh"
port=$(free_port)
write_config "observability:
  listen: 127.0.0.1:$port"
create_database
generate_data 0.01 "$work/data"
start_daemon
drop "$work/data/olist_customers_dataset.csv" "$work/data/olist_orders_dataset.csv" \
  "$work/data/olist_order_payments_dataset.csv"
wait_for_log "refresh.finished trigger=file.*status=succeeded" 60

# The reader: its transaction read the results and stays open for 70 s.
. "$db_dir/connection.env"
client=(mariadb --no-defaults --socket="$PRIVDB_SOCKET" -uroot --unbuffered -N -B "$database")
"${client[@]}" -e "SELECT CONNECTION_ID(); START TRANSACTION; SELECT COUNT(*) FROM customer_segments;
                   SELECT SLEEP(70); COMMIT;" >"$work/reader.out" 2>&1 &
reader=$!
trap 'rc=$?; kill $reader 2>/dev/null || true; cleanup $rc' EXIT
wait_until 5 test -s "$work/reader.out" || fail "the reader did not start"
reader_id=$(head -n 1 "$work/reader.out")

# Items into an empty table: a bulk load, so the refresh after it is full.
drop "$work/data/olist_order_items_dataset.csv"
wait_for_log "refresh.started" 30 2
wait_query 20 1 "the refresh waiting to swap" \
  sql "SELECT COUNT(*) FROM pipeline_runs WHERE status = 'running' AND message LIKE 'the swap waited%'"
sql "SELECT message FROM pipeline_runs WHERE status = 'running'" | grep -q "connection $reader_id" ||
  fail "the waiting run does not name the reader: $(sql "SELECT message FROM pipeline_runs WHERE status = 'running'")"
"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" 2>&1 || true
grep -q "running.*the swap waited .*connection $reader_id" "$work/status.txt" ||
  fail "segmentd status does not show the waiting swap: $(cat "$work/status.txt")"
# Other readers are answered while the swap waits.
for i in 1 2 3 4 5 6; do
  start=$(date +%s%N)
  timeout 5 "${client[@]}" -e "SELECT COUNT(*) FROM customer_segments" >/dev/null ||
    fail "a reader got no answer within 5 s while the swap waited (attempt $i)"
  echo "reader $i answered in $((($(date +%s%N) - start) / 1000000)) ms"
  sleep 0.5
done
# A file arriving while the swap waits is loaded once the refresh gives up,
# before the reader is done.
drop "$work/data/olist_products_dataset.csv"
wait_for_log "refresh.finished trigger=file.*status=failed.*the swap waited .*the results were not changed" 60
wait_for_log "inbox.file_processed file=olist_products_dataset.csv" 30
kill -0 "$reader" 2>/dev/null || fail "the reader ended before the file was loaded: the test proves nothing"
grep -q "refresh.retry_scheduled trigger=file" "$work/daemon.log" || fail "the refresh is not tried again"
wait "$reader" || fail "the BI reader failed: $(cat "$work/reader.out")"
wait_for_log "refresh.finished trigger=file.*status=succeeded" 120 2
wait_for_log "refresh.swap_waited" 5
waited=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "segmentd_refresh_swap_wait_seconds" {print $2}')
awk -v w="$waited" 'BEGIN {exit !(w >= 2)}' || fail "segmentd_refresh_swap_wait_seconds is '$waited', not the wait"
expect_eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%\\_next'")" \
  0 "half-built tables left"
stop_daemon
echo ok
