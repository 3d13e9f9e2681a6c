#!/usr/bin/env bash
# A file whose load outlasts the debounce is refreshed as soon as it is
# loaded: the quiet time counts from the newest file's arrival, so a batch
# still gives one refresh (batch_drop) but a long load is not followed by a
# second wait.
. "$(dirname "$0")/lib.sh"
write_config  # debounce_seconds: 3
create_database
generate_data 0.02 "$work/data"
start_daemon

# Another session holds the customers table for 6 s, so the customers file
# waits that long to load: twice the debounce.
sql "LOCK TABLES customers WRITE; SELECT SLEEP(6); UNLOCK TABLES" >/dev/null &
locker=$!
sleep 1
mv "$work/data/olist_customers_dataset.csv" "$work/inbox/"
wait_for_log "refresh.finished trigger=file" 60
wait "$locker"

ms() { date -d "$(grep -m1 -E "$1" "$work/daemon.log" | cut -d' ' -f1)" +%s%3N; }
ready=$(ms "inbox.file_ready")
loaded=$(ms "inbox.file_processed")
started=$(ms "refresh.started trigger=file")
[ $((loaded - ready)) -ge 4000 ] || fail "the load took $((loaded - ready)) ms: the lock did not hold it past the debounce"
[ $((started - loaded)) -lt 1500 ] ||
  fail "the refresh started $((started - loaded)) ms after the load, though the file arrived more than the debounce (3 s) before"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'")" 1 "refreshes"
