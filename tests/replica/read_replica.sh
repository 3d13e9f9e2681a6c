#!/usr/bin/env bash
# A primary with one asynchronous replica (scripts/replica.sh), BI reading
# the views on the replica:
#  1. while the primary refreshes twenty times, a reader on the replica
#     queries vw_customer_segments and vw_segment_summary as fast as it can:
#     every answer has every customer, none is empty or an error (the swap
#     is one RENAME, replicated as one statement);
#  2. the event exists on the replica but is SLAVESIDE_DISABLED, and
#     `segmentd status` there says it runs on the primary;
#  3. after the replica is promoted, status warns that the fallback never
#     runs until `segmentd migrate`, which enables it; a refresh runs there.
set -euo pipefail
src=${SEGMENTD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$src/scripts/lib/harness.sh"
bin=${SEGMENTD_BINARY:-$src/build/daemon/segmentd}
datagen=${SEGMENTD_DATAGEN:-$src/build/tools/segmentd-datagen}
dir=$(mktemp -d /tmp/segmentd-replica.XXXXXX)
work=$(mktemp -d)
reader=""
cleanup() {
  [ -n "$reader" ] && kill "$reader" 2>/dev/null
  "$src/scripts/replica.sh" destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
on_fail() { tail -n 5 "$work"/*.log "$work/reader.err" >&2 2>/dev/null || true; }
sql() { "$src/scripts/privdb.sh" client "$dir/$1" -N -B seg -e "$2"; }
config() {  # config NAME
  segmentd_config "$work/$1.yaml" "$(. "$dir/$1/connection.env" && echo "$PRIVDB_SOCKET")" seg "$work/inbox"
}
caught_up() {  # the replica has applied everything the primary wrote
  local pos
  pos=$("$src/scripts/privdb.sh" client "$dir/primary" -N -B -e "SELECT @@gtid_binlog_pos")
  [ "$("$src/scripts/privdb.sh" client "$dir/replica" -N -B -e "SELECT MASTER_GTID_WAIT('$pos', 60)")" = 0 ] ||
    fail "the replica did not catch up with $pos"
}

"$src/scripts/replica.sh" start "$dir"
config primary
config replica
"$src/scripts/privdb.sh" client "$dir/primary" -e "CREATE DATABASE seg"
"$bin" --config "$work/primary.yaml" migrate >"$work/migrate.log" 2>&1 || fail "migrate"
"$datagen" --scale 0.02 --seed 7 --out "$work/data" >/dev/null
"$bin" --config "$work/primary.yaml" ingest "$work/data"/*.csv >"$work/ingest.log" 2>&1 || fail "ingest"
"$bin" --config "$work/primary.yaml" refresh >"$work/refresh.log" 2>&1 || fail "first refresh"
caught_up
customers=$(sql replica "SELECT COUNT(*) FROM vw_customer_segments")
[ "$customers" -gt 0 ] || fail "no customers on the replica"
segments=$(sql replica "SELECT COUNT(*) FROM vw_segment_summary")

# 1. The reader on the replica, during twenty refreshes on the primary.
(
  while :; do
    sql replica "SELECT (SELECT COUNT(*) FROM vw_customer_segments), (SELECT COUNT(*) FROM vw_segment_summary)" \
      >>"$work/reader.out" 2>>"$work/reader.err" || echo "error" >>"$work/reader.out"
  done
) &
reader=$!
# Full refreshes (a swap of tables) and incremental ones (a transaction)
# in turn, at least twenty, and until the reader has read fifty times.
i=0
while [ $i -lt 20 ] || { [ "$(wc -l <"$work/reader.out")" -lt 50 ] && [ $i -lt 400 ]; }; do
  i=$((i + 1))
  if [ $((i % 2)) -eq 0 ]; then full=--full; else full=""; fi
  "$bin" --config "$work/primary.yaml" refresh $full >>"$work/refresh.log" 2>&1 || fail "refresh $i"
done
caught_up
kill "$reader"
wait "$reader" 2>/dev/null || true
reader=""
reads=$(wc -l <"$work/reader.out")
[ "$reads" -ge 50 ] || fail "only $reads reads on the replica"
expect_eq "$(grep -vc "^$customers	$segments\$" "$work/reader.out" || true)" 0 \
  "reads that were not '$customers customers, $segments segments' ($(grep -v "^$customers	$segments\$" "$work/reader.out" | sort | uniq -c | head -3))"
expect_eq "$(wc -c <"$work/reader.err")" 0 "reader errors: $(head -3 "$work/reader.err")"
expect_eq "$(sql replica "SELECT COUNT(*) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'")" $((i + 1)) \
  "the refreshes the replica recorded"

# 2. The event on the replica.
expect_eq "$(sql replica "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'seg'")" SLAVESIDE_DISABLED \
  "the replica's event"
"$bin" --config "$work/replica.yaml" status >"$work/status-replica.log" 2>&1 || true
grep -q "^fallback event:  SLAVESIDE_DISABLED.*this server is a replica" "$work/status-replica.log" ||
  fail "status on the replica: $(grep 'fallback event' "$work/status-replica.log")"

# 3. Promoted: the warning, then migrate enables the event.
"$src/scripts/privdb.sh" stop "$dir/primary"
"$src/scripts/replica.sh" promote "$dir"
"$bin" --config "$work/replica.yaml" status >"$work/status-promoted.log" 2>&1 || true
grep -q "^fallback event:  SLAVESIDE_DISABLED.*WARNING: this server is not a replica" "$work/status-promoted.log" ||
  fail "status after the promotion: $(grep 'fallback event' "$work/status-promoted.log")"
"$bin" --config "$work/replica.yaml" migrate >>"$work/migrate.log" 2>&1 || fail "migrate on the promoted replica"
expect_eq "$(sql replica "SELECT STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'seg'")" ENABLED \
  "the promoted replica's event"
"$bin" --config "$work/replica.yaml" status >"$work/status-migrated.log" 2>&1 || true
grep -q "WARNING: this server is not a replica" "$work/status-migrated.log" && fail "status still warns after migrate"
"$bin" --config "$work/replica.yaml" refresh >>"$work/refresh.log" 2>&1 || fail "a refresh on the promoted replica"
echo ok
