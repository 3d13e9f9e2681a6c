#!/usr/bin/env bash
# SIGHUP: a broken new config is logged and the old one kept (the daemon
# goes on working with it); a good one is applied, including the event.
. "$(dirname "$0")/lib.sh"
write_config
create_database
start_daemon
cp "$work/segmentd.yaml" "$work/good.yaml"

sed -i 's/debounce_seconds: 3/debounce_seconds: soon/' "$work/segmentd.yaml"
kill -HUP "$daemon_pid"
wait_for_log "config.reload_failed" 10
grep -q "config.reload_failed .*segmentd.yaml:[0-9]*:[0-9]*: refresh.debounce_seconds: expected a whole number" \
  "$work/daemon.log" || fail "reload error does not name file:line:column and key"
kill -0 "$daemon_pid" || fail "daemon died on a bad config"

# Still working on the old config.
generate_data 0.005 "$work/data"
cp "$work/data/olist_sellers_dataset.csv" "$work/inbox/"
wait_for_log "inbox.file_processed file=olist_sellers_dataset.csv status=loaded" 30

# A good new config: the event interval and the stale days change in the database.
sed 's/^refresh:$/fallback_event:\n  interval: 6h\n  stale_after_days: 9\nrefresh:/' "$work/good.yaml" >"$work/segmentd.yaml"
kill -HUP "$daemon_pid"
wait_for_log "config.reloaded" 10
for _ in $(seq 50); do
  [ "$(sql "SELECT event_stale_after_days FROM segmentation_settings")" = 9 ] && break
  sleep 0.1
done
expect_eq "$(sql "SELECT event_stale_after_days FROM segmentation_settings")" 9 "stale days after reload"
expect_eq "$(sql "SELECT CONCAT(interval_value, ' ', interval_field, ' ', status) FROM information_schema.EVENTS WHERE event_schema = DATABASE()")" \
  "6 HOUR ENABLED" "event after reload"
stop_daemon
echo ok
