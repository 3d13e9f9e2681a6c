#!/usr/bin/env bash
# A file is loaded, then the daemon stops inside the debounce
# window, once with SIGTERM and once with SIGKILL. With no schedules, the
# refresh owed for that load must still run after the restart: the daemon
# decides it from ingested_files and pipeline_runs, not from memory.
. "$(dirname "$0")/lib.sh"
debounce=600 write_config "schedules: []"
create_database
generate_data 0.01 "$work/data"

refreshes() { sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'"; }

for how in TERM KILL; do
  start_daemon
  f=olist_customers_dataset.csv
  [ $how = KILL ] && f=olist_orders_dataset.csv
  cp "$work/data/$f" "$work/inbox/"
  wait_for_log "inbox.file_processed file=$f" 60
  before=$(refreshes)
  kill -$how "$daemon_pid"
  wait "$daemon_pid" || true
  daemon_pid=""
  expect_eq "$(refreshes)" "$before" "refreshes before the restart ($how; the debounce is 10 minutes)"
  start_daemon
  wait_for_log "refresh.owed" 30 "$([ $how = TERM ] && echo 1 || echo 2)"
  for _ in $(seq 300); do [ "$(refreshes)" -gt "$before" ] && break; sleep 0.1; done
  expect_eq "$(refreshes)" "$((before + 1))" "refreshes after the restart ($how)"
  stop_daemon
done
# Paid: a third start owes nothing. (With -v, which `run` used to ignore:
# debug events appear although logging.level is info.)
lines=$(wc -l <"$work/daemon.log")
start_daemon -v
touch "$work/inbox/.hidden"
sleep 2
stop_daemon
tail -n +"$lines" "$work/daemon.log" | grep -q " debug inbox.event " || fail "-v did not turn on debug events for run"
expect_eq "$(grep -c 'refresh.owed' "$work/daemon.log")" 2 "owed refreshes logged"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE status='running'")" 0 "runs left running"
echo ok
