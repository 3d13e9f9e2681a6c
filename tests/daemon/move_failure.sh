#!/usr/bin/env bash
# The move to processed/ fails (processed/ is replaced by a plain
# file). The load is not repeated, the refresh follows anyway, the failure is
# logged once and retried with backoff, and once processed/ is back the file
# lands there exactly once.
. "$(dirname "$0")/lib.sh"
debounce=1 write_config "schedules: []"
create_database
generate_data 0.01 "$work/data"
start_daemon
rmdir "$work/inbox/processed"
echo "not a folder" >"$work/inbox/processed"
f=olist_customers_dataset.csv
cp "$work/data/$f" "$work/inbox/"
wait_for_log "inbox.move_failed file=$f" 30
wait_for_log "refresh.finished trigger=file run_id=[0-9]+ status=succeeded" 30
# Several rescans (every 2 s) and retries later: still one load, one alert.
sleep 7
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files")" 1 "ledger rows (no re-ingest as duplicate)"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='ingest'")" 1 "ingest runs"
expect_eq "$(grep -c 'inbox.move_failed' "$work/daemon.log")" 1 "alerts for the failed move"
[ -f "$work/inbox/$f" ] || fail "the file left the inbox although its move failed"
rm "$work/inbox/processed"
wait_for_log "inbox.move_recovered file=$f" 400
wait_for_log "inbox.file_processed file=$f" 10
expect_eq "$(ls "$work/inbox/processed")" "$f" "processed/ holds the file once"
cmp -s "$work/data/$f" "$work/inbox/processed/$f" || fail "processed copy differs"
expect_eq "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" 0 "files left in the inbox"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files")" 1 "ledger rows at the end"
stop_daemon
echo ok
