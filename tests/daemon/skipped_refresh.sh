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
# Another session holds the refresh lock for 8 seconds.
"$src/scripts/privdb.sh" client "$db_dir" -N -B "$database" \
  -e "SELECT GET_LOCK(LEFT(CONCAT('segmentd.refresh.', DATABASE()), 64), 0); SELECT SLEEP(8);" >/dev/null &
holder=$!
sleep 1
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/"
wait_for_log "refresh.finished trigger=file run_id=[0-9]+ status=skipped" 30
wait_for_log "refresh.retry_scheduled" 5
wait "$holder"
wait_for_log "refresh.finished trigger=file run_id=[0-9]+ status=succeeded" 60
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'")" 1 "successful refreshes"
# Paid: no further retry.
sleep 12
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh'")" 2 "refresh runs (one skipped, one succeeded)"
stop_daemon
echo ok
