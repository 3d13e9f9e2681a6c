#!/usr/bin/env bash
# A refresh after new data that finds another session's refresh holding the
# lock is recorded as skipped, and the data is still owed: the daemon asks
# again later and refreshes once the lock is free (it used to drop the
# request, leaving the data unrefreshed until the next start).
. "$(dirname "$0")/lib.sh"
debounce=1 write_config "schedules: []"
create_database
generate_data 0.01 "$work/data"
start_daemon
# Another session holds the refresh lock until it is killed.
lock="LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64)"
"$src/scripts/privdb.sh" client "$db_dir" -N -B "$database" -e "SELECT GET_LOCK($lock, 0); SELECT SLEEP(600);" \
  >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [ "$(sql "SELECT IS_USED_LOCK($lock) IS NOT NULL")" = 1 ] && break; sleep 0.1; done
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/"
wait_for_log "refresh.finished trigger=file run_id=[0-9]+ status=skipped" 60
wait_for_log "refresh.retry_scheduled" 5
sql_root "KILL $(sql "SELECT IS_USED_LOCK($lock)")"
wait "$holder" || true
wait_for_log "refresh.finished trigger=file run_id=[0-9]+ status=succeeded" 60
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'")" 1 "successful refreshes"
# Paid: no further retry.
sleep 12
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh'")" 2 "refresh runs (one skipped, one succeeded)"
stop_daemon
echo ok
