#!/usr/bin/env bash
# The listener: /metrics has every series from the start (promtool-clean),
# the counters move after a drop, a quarantine and a refresh, a real
# Prometheus server scrapes it, the textfile matches, /readyz follows the
# database down and back, and /livez turns 503 while a job is stuck.
. "$(dirname "$0")/lib.sh"
use_own_server
port=$(free_port)
url="http://127.0.0.1:$port"
write_config "observability:
  listen: 127.0.0.1:$port
  textfile: $work/segmentd.prom
  stuck_after_seconds: 10"
create_database
start_daemon
grep -q "observe.listening address=127.0.0.1:$port" "$work/daemon.log" || fail "listening not logged"

metric() {  # metric 'name{labels}' -> value
  curl -sf "$url/metrics" | awk -v k="$1" '$1 == k {print $2}'
}
curl -sf "$url/metrics" >"$work/metrics-start.txt" || fail "GET /metrics"
promtool check metrics <"$work/metrics-start.txt" >"$work/promtool.txt" 2>&1 || fail "promtool: $(cat "$work/promtool.txt")"
for series in 'segmentd_up' 'segmentd_database_up' 'segmentd_database_reconnects_total' \
  'segmentd_runs_total{kind="refresh",trigger="file",status="succeeded"}' \
  'segmentd_run_duration_seconds_count{kind="ingest"}' 'segmentd_last_success_timestamp_seconds{kind="refresh"}' \
  'segmentd_running{kind="refresh"}' 'segmentd_files_total{dataset="orders",status="loaded"}' \
  'segmentd_files_total{dataset="unknown",status="quarantined"}' 'segmentd_rows_loaded_total{dataset="orders"}' \
  'segmentd_rows_rejected_total{dataset="orders"}' 'segmentd_inbox_files' 'segmentd_inbox_oldest_file_age_seconds' \
  'segmentd_customers_segmented' 'segmentd_schedule_next_run_timestamp_seconds{schedule="daily"}' \
  'segmentd_worker_stuck' 'segmentd_build_info{version="'"$("$bin" version | awk '{print $NF}')"'"}'; do
  grep -qF "$series " "$work/metrics-start.txt" || fail "missing at start: $series"
done
expect_eq "$(metric 'segmentd_files_total{dataset="orders",status="loaded"}')" 0 "orders loaded at start"
expect_eq "$(metric segmentd_database_up)" 1 "database up"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/livez")" 200 "/livez"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" 200 "/readyz"
curl -s "$url/readyz?verbose" | grep -q "^\[+\] inbox ok" || fail "/readyz?verbose: $(curl -s "$url/readyz?verbose")"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")" 404 "unknown path"

# The shipped alerting rules are valid and name only series that exist.
promtool check rules "$src/config/prometheus-alerts.yml" >"$work/rules.txt" 2>&1 || fail "rules: $(cat "$work/rules.txt")"
for name in $(grep -o 'segmentd_[a-z_]*' "$src/config/prometheus-alerts.yml" | sort -u); do
  grep -q "^# TYPE $name " "$work/metrics-start.txt" || fail "alert rules use $name, which /metrics does not have"
done

# A real Prometheus scrapes it every second.
prom_port=$(free_port)
mkdir -p "$work/prometheus"
cat >"$work/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: segmentd
    static_configs:
      - targets: ["127.0.0.1:$port"]
YAML
prometheus --config.file="$work/prometheus/prometheus.yml" --storage.tsdb.path="$work/prometheus/data" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus/log" 2>&1 &
prom_pid=$!
# cleanup is given the exit status: nothing before it may end the trap.
trap 'rc=$?; kill $prom_pid 2>/dev/null || true; cleanup $rc' EXIT
prom_query() {  # prom_query EXPR -> the first result's value, or empty
  curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" |
    grep -o '"value":\[[^]]*\]' | head -1 | sed 's/.*,"\(.*\)"\]/\1/'
}

generate_data 0.01 "$work/data"
cp "$work/data"/*.csv "$work/inbox/"
printf 'not,an,olist,file\n1,2,3,4\n' >"$work/inbox/mystery.csv"
wait_for_log "refresh.finished trigger=file" 120
wait_for_log "inbox.file_quarantined.*mystery" 30
expect_eq "$(metric 'segmentd_files_total{dataset="orders",status="loaded"}')" 1 "orders loaded"
expect_eq "$(metric 'segmentd_rows_loaded_total{dataset="orders"}')" "$(generated_rows olist_orders_dataset.csv)" "order rows"
expect_eq "$(metric 'segmentd_files_total{dataset="unknown",status="quarantined"}')" 1 "quarantined"
expect_eq "$(metric 'segmentd_runs_total{kind="refresh",trigger="file",status="succeeded"}')" 1 "refreshes"
expect_eq "$(metric 'segmentd_runs_total{kind="ingest",trigger="file",status="succeeded"}')" 9 "loads"
expect_eq "$(metric segmentd_customers_segmented)" "$(sql "SELECT COUNT(*) FROM customer_segments")" "customers"
total=$(curl -sf "$url/metrics" | awk '/^segmentd_segment_customers\{/ {s += $NF} END {print s}')
expect_eq "$total" "$(sql "SELECT COUNT(*) FROM customer_segments")" "sum over segments"
[ "$(metric 'segmentd_last_success_timestamp_seconds{kind="refresh"}')" != 0 ] || fail "last success time"

# What Prometheus stored is what the daemon served.
for _ in $(seq 1 60); do
  [ "$(prom_query 'sum(segmentd_files_total{status="loaded"})')" = 9 ] && break
  sleep 1
done
expect_eq "$(prom_query 'sum(segmentd_files_total{status="loaded"})')" 9 "loaded files in Prometheus"
expect_eq "$(prom_query 'up{job="segmentd"}')" 1 "Prometheus' own up"

# The textfile: the same series, readable by node_exporter, promtool-clean.
expect_eq "$(stat -c %a "$work/segmentd.prom")" 644 "textfile mode"
promtool check metrics <"$work/segmentd.prom" >/dev/null 2>&1 || fail "textfile not promtool-clean"
grep -q '^segmentd_files_total{dataset="orders",status="loaded"} 1$' "$work/segmentd.prom" || fail "textfile content"

# The database goes away: not ready, still live; back: ready again.
"$src/scripts/privdb.sh" stop "$db_dir" >/dev/null
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/again.csv"
wait_for_log "db.connection_lost|db.unavailable" 30
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" 503 "/readyz while the database is down"
curl -s "$url/readyz" | grep -q "^\[-\] database failed" || fail "/readyz reason: $(curl -s "$url/readyz")"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/livez")" 200 "/livez while the database is down"
expect_eq "$(metric segmentd_database_up)" 0 "database_up while down"
"$src/scripts/privdb.sh" start "$db_dir" >/dev/null
wait_for_log "db.recovered" 60
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")" 200 "/readyz after recovery"
expect_eq "$(metric segmentd_database_reconnects_total)" 1 "reconnects"
stop_daemon

# A stuck job: each refresh first sleeps 14 s in the server (test hook);
# past stuck_after_seconds (10) /livez says so, and recovers after.
started=$(grep -c "refresh.started" "$work/daemon.log")
finished=$(grep -c "refresh.finished" "$work/daemon.log")
daemon_bin=$test_bin SEGMENTD_TEST_REFRESH_SLEEP=14 start_daemon
{ head -1 "$work/data/olist_customers_dataset.csv"
  echo '"zz_new_customer","zz_new_unique","01001","sao paulo","SP"'; } >"$work/inbox/new-customer.csv"
wait_for_log "refresh.started" 60 $((started + 1))
sleep 11
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/livez")" 503 "/livez with a stuck worker"
curl -s "$url/livez" | grep -q "observability.stuck_after_seconds" || fail "/livez reason"
expect_eq "$(metric segmentd_worker_stuck)" 1 "worker_stuck metric"
wait_for_log "refresh.finished" 30 $((finished + 1))
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/livez")" 200 "/livez after the job"
stop_daemon
echo ok
