#!/usr/bin/env bash
# The fallback event on a three-node Galera cluster (scripts/galera.sh). An
# event is enabled only on the node that created it (the others hold it
# SLAVESIDE_DISABLED): `segmentd migrate`, given every node in
# database.hosts, enables each node's copy. Made to fire every 2 s on all
# three at once, with no daemon running and no refresh yet: exactly one
# refresh succeeds, every other firing is recorded 'skipped' with its
# reason, on every node, and none fails. Exit 77 (skipped) when galera-4
# cannot be used here.
. "$(dirname "$0")/lib.sh"
local_sql() { mariadb --socket="$dir/n$1.sock" -uroot -N -B seg -e "SET SESSION wsrep_on = OFF; $2; SET SESSION wsrep_on = ON"; }

"$galera" start "$dir"
export SEGMENTD_GALERA_PASSWORD="galera-$RANDOM$RANDOM"
# SUPER: a statement kept on one node (wsrep_on = OFF) needs it.
mariadb --socket="$dir/n1.sock" -uroot -e "CREATE DATABASE seg;
  CREATE USER 'seg'@'127.0.0.1' IDENTIFIED BY '$SEGMENTD_GALERA_PASSWORD';
  GRANT ALL ON seg.* TO 'seg'@'127.0.0.1'; GRANT SUPER ON *.* TO 'seg'@'127.0.0.1'"
cat >"$work/segmentd.yaml" <<YAML
database:
  hosts: ["127.0.0.1:$(port 1)", "127.0.0.1:$(port 2)", "127.0.0.1:$(port 3)"]
  user: seg
  password_env: SEGMENTD_GALERA_PASSWORD
  database: seg
  connect_timeout_seconds: 2
inbox:
  path: $work/inbox
observability:
  listen: ""
YAML
"$bin" --config "$work/segmentd.yaml" migrate >"$work/migrate.log" 2>&1 || fail "migrate"
expect_eq "$(grep -c 'event.node .*enabled=yes' "$work/migrate.log")" 3 "nodes whose event migrate enabled"
for n in 1 2 3; do
  expect_eq "$(sql "$n" "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'seg'")" ENABLED "node $n: the event"
done
"$datagen" --scale 0.02 --seed 7 --out "$work/data" >/dev/null
"$bin" --config "$work/segmentd.yaml" ingest "$work/data"/*.csv >"$work/ingest.log" 2>&1 || fail "ingest"

# Every 2 s from the same second on all three nodes (kept on each node).
at=$(sql 1 "SELECT DATE_FORMAT(NOW() + INTERVAL 3 SECOND, '%Y-%m-%d %H:%i:%s')")
for n in 1 2 3; do
  local_sql "$n" "ALTER EVENT ev_refresh_customer_segments ON SCHEDULE EVERY 2 SECOND STARTS '$at' ENABLE"
done
sleep 10
for n in 1 2 3; do local_sql "$n" "ALTER EVENT ev_refresh_customer_segments DISABLE"; done
sleep 2

runs="FROM pipeline_runs WHERE kind = 'refresh' AND \`trigger\` = 'event'"
expect_eq "$(sql 3 "SELECT COUNT(*) $runs AND status = 'succeeded'")" 1 "event refreshes that succeeded"
expect_eq "$(sql 3 "SELECT COUNT(*) $runs AND status NOT IN ('succeeded', 'skipped')")" 0 "event runs that failed"
expect_eq "$(sql 3 "SELECT COUNT(DISTINCT server_node) $runs")" 3 "nodes whose event fired"
skipped=$(sql 3 "SELECT COUNT(*) $runs AND status = 'skipped'")
[ "$skipped" -ge 6 ] || fail "only $skipped skipped event runs in 10 s on three nodes"
expect_eq "$(sql 3 "SELECT COUNT(*) $runs AND status = 'skipped' AND (message LIKE '%fallback not needed' OR message LIKE 'another refresh is running%')")" \
  "$skipped" "skipped runs that say why"
echo ok
