#!/usr/bin/env bash
# A schedule missed while the daemon was down gives one catch-up run at
# start, decided from pipeline_runs; none when nothing was missed. The
# fallback event follows the config, stands down while the daemon's
# heartbeat is fresh and refreshes when the daemon is gone.
. "$(dirname "$0")/lib.sh"
write_config "schedules:
  - name: nightly
    cron: \"0 3 * * *\"
    timezone: Europe/Berlin
fallback_event:
  interval: 12h
  stale_after_days: 0"
create_database
# The last refresh was two days ago: at least one nightly run was missed.
sql "INSERT INTO pipeline_runs (kind, \`trigger\`, status, started_at, finished_at, message)
     VALUES ('refresh', 'cli', 'succeeded', UTC_TIMESTAMP(3) - INTERVAL 2 DAY, UTC_TIMESTAMP(3) - INTERVAL 2 DAY, 'old')"
start_daemon
wait_for_log "refresh.finished trigger=catchup" 30
grep -q "schedule.catchup reason=\"schedule nightly was due at" "$work/daemon.log" || fail "catch-up reason"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE \`trigger\`='catchup'")" 1 "catch-up runs"
expect_eq "$(sql "SELECT CONCAT(interval_value, ' ', interval_field, ' ', status) FROM information_schema.EVENTS WHERE event_schema = DATABASE() AND event_name = 'ev_refresh_customer_segments'")" \
  "12 HOUR ENABLED" "event from config"

# While the daemon runs, the event's procedure stands down.
sql "CALL refresh_customer_segments_event()"
expect_eq "$(sql "SELECT CONCAT(status, ':', LEFT(message, 19)) FROM pipeline_runs WHERE \`trigger\`='event' ORDER BY run_id DESC LIMIT 1")" \
  "skipped:segmentd is running" "event while the daemon runs"
stop_daemon

# Restart right away: nothing was missed, so no second catch-up.
start_daemon
sleep 2
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE \`trigger\`='catchup'")" 1 "catch-up runs after a quick restart"
! grep -q "schedule.catchup" <(sed -n '/daemon.stopped/,$p' "$work/daemon.log") || fail "catch-up after a quick restart"
"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" || fail "status exit code"
grep -q "^daemon: *running on" "$work/status.txt" || fail "status does not show the daemon running"
grep -q "^  nightly	20..-..-..T03:00:00+0[12]:00" "$work/status.txt" || fail "status next runs: $(cat "$work/status.txt")"
stop_daemon

# Daemon gone (heartbeat stopped) and stale_after_days 0: the event refreshes.
sql "CALL refresh_customer_segments_event()"
expect_eq "$(sql "SELECT status FROM pipeline_runs WHERE \`trigger\`='event' ORDER BY run_id DESC LIMIT 1")" \
  "succeeded" "event when the daemon is down"
"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" || true
grep -q "^daemon: *not running" "$work/status.txt" || fail "status after stop: $(cat "$work/status.txt")"
echo ok
