#!/usr/bin/env bash
# Two daemons, one database, one inbox (doc/OPERATIONS.md "Two daemons"): one leads,
# the other stands by and loads nothing.
#  1. Nine files dropped: all loaded by the leader, once each.
#  2. The leader is paused (SIGSTOP) in the middle of its refresh, past its
#     lease: the standby takes over within the lease (plus its poll), loads
#     a new file and refreshes.
#  3. The old leader resumes: it stands down, and its refresh, which was
#     still going, is refused at the swap ('fenced'); the live results stay
#     the new leader's.
#  4. The new leader is killed (kill -9) the moment it starts loading a
#     file: the other takes over at once (its process is gone from this
#     host) and the file ends up loaded exactly once.
# Every file dropped is loaded exactly once, nothing is left in the inbox.
. "$(dirname "$0")/lib.sh"
lease=3
write_config "ha:
  lease_seconds: $lease"
create_database
a_pid="" b_pid=""
on_fail() {
  for d in a b; do
    [ -f "$work/$d.log" ] && { echo "--- daemon $d log" >&2; tail -n 40 "$work/$d.log" >&2; }
  done
}
trap 'rc=$?; for p in $a_pid $b_pid; do kill -CONT "$p" 2>/dev/null; done; cleanup $rc' EXIT

# wait_in NAME PATTERN SECONDS [COUNT]: in $work/NAME.log.
wait_in() { wait_log "$work/$1.log" "$2" "$3" "${4:-1}"; }
wait_sql() { wait_query "$3" "$2" "$4" sql "$1"; }  # wait_sql QUERY EXPECTED SECONDS WHAT

# Only A's refreshes sleep first (inside the server; the test build's hook,
# tests/hooks/), so one can be caught half-way.
SEGMENTD_TEST_REFRESH_SLEEP=5 "$test_bin" --config "$work/segmentd.yaml" run >"$work/a.log" 2>&1 &
a_pid=$!
wait_in a "lease.office" 30
"$bin" --config "$work/segmentd.yaml" run >"$work/b.log" 2>&1 &
b_pid=$!
wait_in b "lease.standby" 30
wait_in b "daemon.ready" 30
"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" 2>&1 || true
grep -qE "^leader: .* pid $a_pid, epoch 1 " "$work/status.txt" || fail "status does not name A as leader: $(grep leader "$work/status.txt")"

# 1. Nine files.
generate_data 0.01 "$work/data"
for f in "$work/data"/*.csv; do drop "$f"; done
wait_in a "refresh.started" 60
grep -q "ingest.started" "$work/b.log" && fail "the standby loaded a file"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'")" 9 "files loaded by A"
expect_eq "$(sql "SELECT COUNT(DISTINCT pid) FROM pipeline_runs WHERE kind = 'ingest'")" 1 "ingest runs by one daemon"
expect_eq "$(sql "SELECT MIN(pid) FROM pipeline_runs WHERE kind = 'ingest'")" "$a_pid" "the loader"

# 2. A paused mid-refresh, past its lease.
kill -STOP "$a_pid"
stopped=$(date +%s.%N)
wait_in b "lease.acquired" 20
took=$(awk -v s="$stopped" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
awk -v t="$took" -v l="$lease" 'BEGIN { exit !(t <= l + 2.5) }' || fail "takeover took ${took}s (lease ${lease}s)"
wait_in b "refresh.finished.*status=succeeded" 60
printf 'product_category_name,product_category_name_english\nnova_categoria,new_category\n' >"$work/extra_translation.csv"
drop "$work/extra_translation.csv"
wait_sql "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'" 10 30 "the new leader loads"
expect_eq "$(sql "SELECT pid FROM pipeline_runs WHERE kind = 'ingest' ORDER BY run_id DESC LIMIT 1")" "$b_pid" "the tenth file's loader"
wait_in b "refresh.finished.*status=succeeded" 60 2

# 3. A resumes: deposed, its refresh refused at the swap.
kill -CONT "$a_pid"
wait_in a "lease.lost" 20
wait_sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind = 'refresh' AND pid = $a_pid AND status = 'failed' AND message LIKE 'fenced:%'" 1 30 \
  "A's refresh after it resumed"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind = 'refresh' AND pid = $a_pid AND status = 'succeeded'")" 0 \
  "refreshes A got through"
newest=$(sql "SELECT run_id FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded' ORDER BY run_id DESC LIMIT 1")
expect_eq "$(sql "SELECT pid FROM pipeline_runs WHERE run_id = $newest")" "$b_pid" "the newest successful refresh's daemon"
expect_eq "$(sql "SELECT run_id FROM segment_state")" \
  "$newest" "the live results"
expect_eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '%\_next'")" 0 "*_next tables left"
kill -0 "$a_pid" || fail "A exited after it was deposed"

# 4. B killed as it starts loading a larger file.
"$SEGMENTD_DATAGEN" --scale 0.1 --seed 8 --out "$work/big" >/dev/null
loads=$(grep -c "ingest.started" "$work/b.log" || true)
drop "$work/big/olist_geolocation_dataset.csv"
wait_in b "ingest.started" 30 $((loads + 1))
kill -KILL "$b_pid"
wait "$b_pid" 2>/dev/null || true
b_pid=""
wait_in a "lease.acquired" 20
wait_sql "SELECT COUNT(*) FROM ingested_files WHERE status = 'loaded'" 11 60 "the file after the kill"
left() { find "$work/inbox" -maxdepth 1 -type f -printf '%f '; }
for ((i = 0; i < 100; i++)); do [ -z "$(left)" ] && break; sleep 0.1; done
expect_eq "$(left)" "" "files left in the inbox"
expect_eq "$(find "$work/inbox/quarantine" -type f | wc -l)" 0 "files quarantined"
expect_eq "$(sql "SELECT COUNT(DISTINCT sha256) FROM ingested_files WHERE status = 'loaded'")" 11 "distinct files loaded"
wait_sql "SELECT COUNT(*) FROM pipeline_runs WHERE status = 'running'" 0 60 "runs left running"
expect_eq "$(sql "SELECT COUNT(*) FROM geolocation")" "$(awk 'END { print NR - 1 }' "$work/big/olist_geolocation_dataset.csv")" \
  "geolocation rows after the replacement"
kill -TERM "$a_pid"
wait "$a_pid" || fail "A exited with $? after SIGTERM"
a_pid=""
echo ok
