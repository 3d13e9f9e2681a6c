#!/usr/bin/env bash
# Everything an operator does, as an account with exactly doc/CONFIGURATION.md's
# grants (read from that document, so the two cannot drift): migrate, the
# daemon loading all nine files with a refresh and exports, CALL
# refresh_customer_segments(), status, history and the fallback event firing.
# Then one grant is taken away, and the error names it.
. "$(dirname "$0")/lib.sh"
user="lp_$$"
password="lp-$RANDOM-$RANDOM"
# shellcheck disable=SC1091
. "$db_dir/connection.env"

sql_root "CREATE DATABASE \`$database\`"
# cleanup is given the exit status: nothing before it may end the trap.
trap 'rc=$?; sql_root "DROP USER IF EXISTS '"'$user'@'localhost'"'" >/dev/null 2>&1 || true; cleanup $rc' EXIT

as_account() {
  "$(command -v mariadb || command -v mysql)" --no-defaults --socket="$PRIVDB_SOCKET" -u"$user" -p"$password" \
    -N -B "$database" -e "$1"
}

write_config "exports:
  dir: $work/exports
fallback_event:
  interval: 1m
  stale_after_days: 0"
least_privilege_account "$user" "$password"

"$bin" --config "$work/segmentd.yaml" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "migrate"; }
expect_eq "$(as_account "SELECT DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")" \
  "$user@localhost" "the event's definer"

generate_data 0.01 "$work/data"
start_daemon
! grep -q "privileges.missing" "$work/daemon.log" || fail "the documented grants reported as missing"
cp "$work/data"/*.csv "$work/inbox/"
wait_for_log "refresh.finished trigger=file" 120
wait_for_log "export.finished" 30
expect_eq "$(ls "$work/inbox/processed" | wc -l)" 9 "files in processed/"
expect_eq "$(as_account "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'")" 9 "files loaded"
expect_eq "$(ls "$work/exports/current/" | wc -l)" 5 "exported files"

# A BI user's refresh, as the same account.
as_account "CALL refresh_customer_segments()" >/dev/null
expect_eq "$(as_account "SELECT status FROM pipeline_runs WHERE \`trigger\` = 'manual' ORDER BY run_id DESC LIMIT 1")" \
  "succeeded" "CALL refresh_customer_segments() as the account"

"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" 2>&1 || { cat "$work/status.txt"; fail "status"; }
grep -q "^daemon: *running on" "$work/status.txt" || fail "status: $(cat "$work/status.txt")"
grep -q "account $user via mysql_native_password" "$work/status.txt" || fail "status: $(cat "$work/status.txt")"
"$bin" --config "$work/segmentd.yaml" history >"$work/history.txt" 2>&1 || { cat "$work/history.txt"; fail "history"; }
grep -Eq "refresh +file +succeeded" "$work/history.txt" || fail "history: $(cat "$work/history.txt")"
"$bin" --config "$work/segmentd.yaml" history --json >/dev/null 2>&1 || fail "history --json"
stop_daemon

# The daemon is gone: the event (defined by the account) refreshes within
# its one-minute interval.
before=$(as_account "SELECT COUNT(*) FROM pipeline_runs WHERE \`trigger\` = 'event' AND status = 'succeeded'")
for _ in $(seq 1 100); do
  now=$(as_account "SELECT COUNT(*) FROM pipeline_runs WHERE \`trigger\` = 'event' AND status = 'succeeded'")
  [ "$now" -gt "$before" ] && break
  sleep 1
done
[ "$now" -gt "$before" ] || fail "the event did not refresh: $(as_account "SELECT run_id, \`trigger\`, status, message FROM pipeline_runs ORDER BY run_id DESC LIMIT 3")"

# Without EVENT, migrate (which re-creates the event) fails and says so.
sql_root "REVOKE EVENT ON \`$database\`.* FROM '$user'@'localhost'"
if "$bin" --config "$work/segmentd.yaml" migrate >"$work/migrate2.log" 2>&1; then fail "migrate without EVENT succeeded"; fi
grep -q "this account lacks EVENT on the schema" "$work/migrate2.log" || fail "message: $(cat "$work/migrate2.log")"
! grep -q "$password" "$work/migrate2.log" "$work/daemon.log" || fail "the password was printed"
echo ok
