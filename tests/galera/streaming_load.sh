#!/usr/bin/env bash
# A large file on Galera stays one transaction within the write-set limit
# (write_set.h): with wsrep_max_ws_size lowered to 8 MiB on every node, a
# 1,000,000-row geolocation file (about 60 MB) loads, in fragments
# (streaming replication). Killed while its fragments are on the other
# nodes, the load leaves every node with the previous table, whole.
# (Without fragments the same load fails at commit: "Maximum writeset size
# exceeded".) Exit 77 (skipped) when galera-4 cannot be used here.
. "$(dirname "$0")/lib.sh"
loader=""
stop_children() { [ -z "$loader" ] || kill -KILL "$loader" 2>/dev/null || true; }

"$galera" start "$dir"
for n in 1 2 3; do mariadb --socket="$dir/n$n.sock" -uroot -e "SET GLOBAL wsrep_max_ws_size = 8388608"; done
mariadb --socket="$dir/n1.sock" -uroot -e "CREATE DATABASE seg"
socket_config n1 1
"$bin" --config "$work/n1.yaml" migrate >/dev/null 2>"$work/migrate.log" || fail "migrate"

# A small table first, then a million rows: ten copies of a 0.1 file's rows.
"$datagen" --scale 0.01 --seed 5 --out "$work/small" >/dev/null
"$datagen" --scale 0.1 --seed 6 --out "$work/g" >/dev/null
awk 'NR == 1 { h = $0; next } { a[NR] = $0 } END { print h; for (i = 0; i < 10; i++) for (j = 2; j <= NR; j++) print a[j] }' \
  "$work/g/olist_geolocation_dataset.csv" >"$work/big.csv"
big_rows=$(($(wc -l <"$work/big.csv") - 1))
[ "$big_rows" -gt 1000000 ] || fail "the big file has $big_rows rows"
"$bin" --config "$work/n1.yaml" ingest "$work/small/olist_geolocation_dataset.csv" >"$work/small.log" 2>&1 || fail "small load"
small_rows=$(sql 2 "SELECT COUNT(*) FROM geolocation")

# Killed with its fragments already on node 2.
"$bin" --config "$work/n1.yaml" ingest "$work/big.csv" >"$work/killed.log" 2>&1 &
loader=$!
for ((i = 0; i < 600; i++)); do
  [ "$(sql 2 "SELECT COUNT(*) FROM mysql.wsrep_streaming_log")" -gt 0 ] && break
  kill -0 "$loader" 2>/dev/null || fail "the load ended before any fragment reached node 2"
  sleep 0.05
done
[ "$(sql 2 "SELECT COUNT(*) FROM mysql.wsrep_streaming_log")" -gt 0 ] || fail "no fragment reached node 2"
kill -KILL "$loader"
wait "$loader" 2>/dev/null || true
loader=""
for ((i = 0; i < 300; i++)); do
  [ "$(sql 2 "SELECT COUNT(*) FROM mysql.wsrep_streaming_log")" = 0 ] && break
  sleep 0.1
done
for n in 1 2 3; do
  expect_eq "$(sql "$n" "SELECT COUNT(*) FROM mysql.wsrep_streaming_log")" 0 "node $n: fragments left"
  expect_eq "$(sql "$n" "SELECT COUNT(*) FROM geolocation")" "$small_rows" "node $n: geolocation after the killed load"
done

# Loaded whole.
"$bin" --config "$work/n1.yaml" ingest "$work/big.csv" >"$work/big.log" 2>&1 || fail "the big load: $(tail -2 "$work/big.log")"
for n in 1 2 3; do
  expect_eq "$(sql "$n" "SELECT COUNT(*) FROM geolocation")" "$big_rows" "node $n: geolocation after the big load"
done
expect_eq "$(sql 3 "SELECT JSON_EXTRACT(details, '$.files[0].streamed') FROM pipeline_runs WHERE kind = 'ingest' AND status = 'succeeded' ORDER BY run_id DESC LIMIT 1")" \
  "true" "the run says it streamed"
echo ok
