#!/usr/bin/env bash
# On a three-node Galera cluster (scripts/galera.sh), CALL
# refresh_customer_segments() from a client on every node at once, three
# rounds: in each, exactly one refresh succeeds and the other two are
# recorded 'skipped' naming it; nothing fails, no *_next table is left, and
# every node holds the same results. (Before the cluster-wide claim, V011,
# all three ran and failed on each other's *_next tables.)
# Exit 77 (skipped) when galera-4 cannot be used here.
. "$(dirname "$0")/lib.sh"

"$galera" start "$dir"
mariadb --socket="$dir/n1.sock" -uroot -e "CREATE DATABASE seg"
socket_config n1 1
"$bin" --config "$work/n1.yaml" migrate >/dev/null 2>"$work/migrate.log" || fail "migrate: $(tail -3 "$work/migrate.log")"
"$datagen" --scale 0.02 --seed 7 --out "$work/data" >/dev/null
"$bin" --config "$work/n1.yaml" ingest "$work/data"/*.csv >/dev/null 2>"$work/ingest.log" || fail "ingest: $(tail -3 "$work/ingest.log")"

# Each refresh takes at least 3 s (half a second per segment it records),
# so the three calls, started together, overlap whatever the machine's load.
# A trigger fires only on the node that runs the statement.
sql 1 "CREATE TRIGGER test_slow_refresh BEFORE INSERT ON segment_run_stats FOR EACH ROW SET @segmentd_test_slept = SLEEP(0.5)"

for round in 1 2 3; do
  before=$(sql 1 "SELECT COALESCE(MAX(run_id), 0) FROM pipeline_runs")
  for n in 1 2 3; do
    mariadb --socket="$dir/n$n.sock" -uroot -N -B seg -e "CALL refresh_customer_segments()" >"$work/call-$round-$n.log" 2>&1 &
  done
  wait
  for n in 1 2 3; do grep -q "ERROR" "$work/call-$round-$n.log" && fail "round $round node $n: $(cat "$work/call-$round-$n.log")"; done
  # Read on node 3, after every node's writes have arrived (causal read).
  runs="FROM pipeline_runs WHERE kind = 'refresh' AND run_id > $before"
  expect_eq "$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) $runs")" 3 "round $round: refresh runs recorded"
  expect_eq "$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) $runs AND status = 'succeeded'")" 1 "round $round: succeeded"
  expect_eq "$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) $runs AND status = 'skipped'")" 2 "round $round: skipped"
  winner=$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT run_id $runs AND status = 'succeeded'")
  skipped=$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT GROUP_CONCAT(message SEPARATOR ' | ') $runs AND status = 'skipped'")
  expect_eq "$(sql 3 "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) $runs AND status = 'skipped' AND message LIKE 'another refresh is running: run $winner %'")" 2 \
    "round $round: the skipped runs name the winner (run $winner; they say: $skipped)"
done

for n in 1 2 3; do
  expect_eq "$(sql "$n" "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'seg' AND TABLE_NAME LIKE '%\_next'")" 0 \
    "node $n: *_next tables left"
  expect_eq "$(sql "$n" "SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM refresh_claim WHERE run_id IS NOT NULL")" 0 "node $n: claim released"
done
c1=$(sql 1 "SET SESSION wsrep_sync_wait = 1; SELECT CONCAT(COUNT(*), '/', SUM(monetary), '/', SUM(CRC32(CONCAT(customer_unique_id, segment_name)))) FROM customer_segments")
[ "${c1%%/*}" -gt 0 ] || fail "no customers segmented"
for n in 2 3; do
  expect_eq "$(sql "$n" "SET SESSION wsrep_sync_wait = 1; SELECT CONCAT(COUNT(*), '/', SUM(monetary), '/', SUM(CRC32(CONCAT(customer_unique_id, segment_name)))) FROM customer_segments")" \
    "$c1" "node $n: the same results as node 1"
done
echo "ok"
