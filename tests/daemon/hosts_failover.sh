#!/usr/bin/env bash
# database.hosts: the first host refuses connections, the second is the
# server. The daemon connects to the second and says so; status names it.
# With both down it backs off as with one host, naming both, and recovers
# when the server returns.
. "$(dirname "$0")/lib.sh"
use_own_server
# shellcheck disable=SC1091
. "$db_dir/connection.env"
user="hosts_$$"
export SEGMENTD_HOSTS_PASSWORD="hosts-$RANDOM"
sql_root "CREATE DATABASE \`$database\`"
sql_root "CREATE USER '$user'@'%' IDENTIFIED BY '$SEGMENTD_HOSTS_PASSWORD';
          GRANT ALL ON \`$database\`.* TO '$user'@'%'"
cat >"$work/segmentd.yaml" <<YAML
database:
  hosts: ["127.0.0.1:1", "127.0.0.1:$PRIVDB_PORT"]
  user: $user
  password_env: SEGMENTD_HOSTS_PASSWORD
  database: $database
  connect_timeout_seconds: 2
  reconnect_initial_seconds: 1
  reconnect_max_seconds: 2
inbox:
  path: $work/inbox
  settle_seconds: 1
observability:
  listen: ""
YAML
"$bin" --config "$work/segmentd.yaml" migrate >/dev/null
start_daemon
grep -q "db.host_failed endpoint=tcp://127.0.0.1:1 code=2003" "$work/daemon.log" || fail "first host's failure not logged"
grep -q "db.connected endpoint=tcp://127.0.0.1:$PRIVDB_PORT tls=none" "$work/daemon.log" || fail "host in use not logged"
"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" 2>&1 || fail "status: $(cat "$work/status.txt")"
grep -q "^database: *reachable tcp://127.0.0.1:$PRIVDB_PORT " "$work/status.txt" || fail "status: $(cat "$work/status.txt")"

# Both down: backoff, each failure naming both hosts. A file makes the
# daemon use the connection.
generate_data 0.01 "$work/data"
"$src/scripts/privdb.sh" stop "$db_dir" >/dev/null
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/"
wait_for_log "db.connection_lost|db.unavailable" 30
wait_for_log "db.reconnect_scheduled attempt=2" 30
grep -E "db.reconnect_scheduled attempt=2 .*error=.*cannot connect to tcp://127.0.0.1:1 .*; tcp://127.0.0.1:$PRIVDB_PORT" \
  "$work/daemon.log" >/dev/null || fail "a failed reconnect does not name both hosts"
"$src/scripts/privdb.sh" start "$db_dir" >/dev/null
# shellcheck disable=SC1091
. "$db_dir/connection.env"
wait_for_log "db.recovered endpoint=tcp://127.0.0.1:$PRIVDB_PORT" 60
wait_for_log "ingest.file .*status=loaded" 60
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'")" 1 "the file, loaded after recovery"
! grep -q "$SEGMENTD_HOSTS_PASSWORD" "$work/daemon.log" || fail "the password was logged"
stop_daemon
echo ok
