#!/usr/bin/env bash
# Alerts to webhooks: a quarantined file, a failed refresh, a database outage
# and its recovery reach a plain JSON receiver; an https receiver (slack
# format, its URL in a file, a private CA) gets the events it asked for; a
# receiver that never answers delays no load and times out on its own; the
# URL from the file is never logged.
. "$(dirname "$0")/lib.sh"
use_own_server
python=$(command -v python3) || fail "python3 is needed for the test receivers"
plain_port=$(free_port) tls_port=$(free_port) hang_port=$(free_port)

# A private CA and a certificate for localhost, for the https receiver.
(
  cd "$work"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=notify test CA" -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout hook.key -out hook.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost\n' >hook.ext
  openssl x509 -req -in hook.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile hook.ext \
    -out hook.pem 2>/dev/null
)
"$python" "$src/tests/daemon/webhook_receiver.py" "$plain_port" "$work/plain.log" &
pids=$!
"$python" "$src/tests/daemon/webhook_receiver.py" "$tls_port" "$work/tls.log" --cert "$work/hook.pem" \
  --key "$work/hook.key" &
pids="$pids $!"
"$python" "$src/tests/daemon/webhook_receiver.py" "$hang_port" "$work/hang.log" --hang &
pids="$pids $!"
# cleanup is given the exit status: nothing before it may end the trap.
trap 'rc=$?; kill $pids 2>/dev/null || true; cleanup $rc' EXIT
secret="T0-secret-token-$RANDOM"
echo "https://localhost:$tls_port/slack/$secret" >"$work/tls-url"
for p in $plain_port $tls_port $hang_port; do
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done

write_config "schedules:
  - name: nightly
    cron: \"0 3 * * *\"
    deadline: 4s
observability:
  listen: \"\"
  textfile: $work/segmentd.prom
notify:
  - name: plain
    url: http://127.0.0.1:$plain_port/hook
    notify_after: 1s
  - name: tls
    url_file: $work/tls-url
    format: slack
    ca: $work/ca.pem
    events: [file_quarantined, run_failed]
  - name: hang
    url: http://127.0.0.1:$hang_port/never
    events: [file_quarantined]
    retries: 1"
create_database
generate_data 0.01 "$work/data"
start_daemon

# A refused file: both subscribers hear of it; the hanging one holds nothing up.
printf 'not,an,olist,file\n1,2,3,4\n' >"$work/inbox/mystery.csv"
wait_for_log "notify.sent target=plain event=file_quarantined" 30
wait_for_log "notify.sent target=tls event=file_quarantined" 30
grep -q '"alertname":"file_quarantined"' "$work/plain.log" || fail "plain payload: $(cat "$work/plain.log")"
grep -q '"file":"mystery.csv"' "$work/plain.log" || fail "plain payload labels: $(cat "$work/plain.log")"
grep -q "^/slack/$secret {\"text\":\"\[segmentd .*\] file mystery.csv was refused" "$work/tls.log" \
  || fail "slack payload: $(cat "$work/tls.log")"
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/"
wait_for_log "inbox.file_processed file=olist_customers_dataset.csv" 8
! grep -q "notify.failed target=hang" "$work/daemon.log" || fail "the hanging receiver failed before the load finished"
wait_for_log "notify.retry target=hang event=file_quarantined error=\"receive: timed out\" attempts=1 retry_in=2s" 30
wait_for_log "notify.failed target=hang event=file_quarantined error=\"receive: timed out\" attempts=2" 30
# The test's own readiness probe, the post and its one retry.
expect_eq "$(grep -c "connection" "$work/hang.log")" 3 "connections to the hanging receiver"
[ -s "$work/hang.log" ] || fail "the hanging receiver was never contacted"

# No refresh has succeeded since the start, past the 4 s deadline.
wait_for_log "notify.sent target=plain event=refresh_overdue" 30
grep -q '"schedule":"nightly"' "$work/plain.log" || fail "refresh_overdue payload"
! grep -q "target=tls event=refresh_overdue" "$work/daemon.log" || fail "tls did not ask for refresh_overdue"
# Logged once per episode: a second line only after a refresh succeeded.
awk '/refresh.overdue schedule=nightly/ { if (open) bad = 1; open = 1 }
     /refresh.finished .*status=succeeded/ { open = 0 }
     END { exit bad }' "$work/daemon.log" || fail "refresh.overdue logged on every check"

# A failed refresh: rules that leave combinations without a segment.
sql "DELETE FROM rfm_segment_rules WHERE segment_name = 'Champions'"
cp "$work/data/olist_orders_dataset.csv" "$work/inbox/"
wait_for_log "refresh.finished trigger=file .*status=failed" 60
wait_for_log "notify.sent target=plain event=run_failed" 30
wait_for_log "notify.sent target=tls event=run_failed" 30
grep -q '"alertname":"run_failed"' "$work/plain.log" || fail "run_failed payload"

# The database goes away for longer than notify_after, and returns.
"$src/scripts/privdb.sh" stop "$db_dir" >/dev/null
cp "$work/data/olist_sellers_dataset.csv" "$work/inbox/"
wait_for_log "notify.sent target=plain event=database_unavailable" 30
"$src/scripts/privdb.sh" start "$db_dir" >/dev/null
wait_for_log "notify.sent target=plain event=recovered" 60
grep -q '"status":"resolved"' "$work/plain.log" || fail "recovered payload"
! grep -q "target=tls event=database_unavailable" "$work/daemon.log" || fail "tls got an event it did not ask for"
expect_eq "$(grep -c "event=database_unavailable" "$work/daemon.log")" 1 "outage alerts (once per outage)"
! grep -q "$secret" "$work/daemon.log" || fail "the URL from url_file was logged"
expect_eq "$(awk '$1 == "segmentd_notifications_total{target=\"hang\",result=\"failed\"}" {print $2}' "$work/segmentd.prom")" \
  1 "failed posts in the metrics"
stop_daemon
echo ok
