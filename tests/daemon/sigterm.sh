#!/usr/bin/env bash
# SIGTERM in the middle of a load: the daemon exits 0, the load either
# committed (file in processed/) or rolled back (file still in the inbox,
# nothing of it in the table), the run row is closed, and a restart loads
# whatever was left. Nothing is lost, nothing is half-loaded.
. "$(dirname "$0")/lib.sh"
write_config
create_database
generate_data 0.6 "$work/data"
start_daemon
geo=olist_geolocation_dataset.csv
rows=$(generated_rows $geo)
cp "$work/data/$geo" "$work/inbox/"
wait_for_log "inbox.file_ready file=$geo" 30
sleep 0.5
kill -TERM "$daemon_pid"
rc=0
wait "$daemon_pid" || rc=$?
daemon_pid=""
expect_eq "$rc" 0 "exit code after SIGTERM"
grep -q "daemon.stopping reason=SIGTERM in_flight=yes" "$work/daemon.log" || fail "SIGTERM did not arrive mid-load"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE status='running'")" 0 "runs left running"
loaded=$(sql "SELECT COUNT(*) FROM geolocation")
if [ -f "$work/inbox/$geo" ]; then
  echo "load was interrupted and rolled back"
  expect_eq "$loaded" 0 "geolocation rows after an interrupted load"
  expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" 0 "ledger rows 'loaded'"
  grep -q "inbox.file_left file=$geo status=interrupted" "$work/daemon.log" || fail "no inbox.file_left line"
else
  echo "load committed before the stop"
  [ -f "$work/inbox/processed/$geo" ] || fail "$geo is neither in the inbox nor in processed/"
  expect_eq "$loaded" "$rows" "geolocation rows after a committed load"
fi
# A restart picks up what was left and loads it exactly once.
start_daemon
for _ in $(seq 600); do [ -f "$work/inbox/processed/$geo" ] && break; sleep 0.1; done
[ -f "$work/inbox/processed/$geo" ] || fail "$geo not processed after restart"
expect_eq "$(sql "SELECT COUNT(*) FROM geolocation")" "$rows" "geolocation rows after restart"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" 1 "ledger rows 'loaded'"
stop_daemon
echo ok
