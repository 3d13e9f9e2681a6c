#!/usr/bin/env bash
# The nine files dropped, the daemon killed with SIGKILL at random moments
# for a bounded number of rounds and restarted each time. At the end every
# content is loaded exactly once, every file is in processed/ exactly once,
# nothing is left in the inbox, no run is 'running', no scratch file is
# left, and a refresh succeeded after the last load.
#
# Seeded: SEGMENTD_CRASH_SEED=N replays a failure (the seed is printed);
# SEGMENTD_CRASH_ROUNDS sets the rounds (default 8).
. "$(dirname "$0")/lib.sh"
seed=${SEGMENTD_CRASH_SEED:-$(date +%s)}
rounds=${SEGMENTD_CRASH_ROUNDS:-8}
echo "crash test: seed=$seed rounds=$rounds"
RANDOM=$seed
scratch=$work/tmp
mkdir -p "$scratch"
export TMPDIR=$scratch  # the daemon's scratch files land here, to be counted
debounce=1 write_config "schedules: []
exports:
  dir: $work/exports"
create_database
generate_data 0.05 "$work/data"
cp "$work/data"/*.csv "$work/inbox/"

for ((round = 1; round <= rounds; round++)); do
  "$bin" --config "$work/segmentd.yaml" run >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  # 0.2 to 4.0 s: inside connects, loads, moves, refreshes and exports.
  delay_ms=$((200 + RANDOM % 3800))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -KILL "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
  echo "round $round: killed after ${delay_ms} ms; $(find "$work/inbox" -maxdepth 1 -type f | wc -l) file(s) in the inbox"
done

# A last run without interruption: everything finishes, up to the export
# set of the newest successful refresh (which may be a killed daemon's
# refresh that the server finished: the daemon then publishes it).
newest_refresh() { sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'"; }
start_daemon
for _ in $(seq 1200); do
  if [ "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" = 0 ] &&
     [ "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded' AND started_at >=
           (SELECT MAX(finished_at) FROM ingested_files WHERE status='loaded')")" -ge 1 ] &&
     [ "$(readlink "$work/exports/current" 2>/dev/null)" = "run-$(newest_refresh)" ]; then break; fi
  sleep 0.1
done
sleep 1
stop_daemon

expect_eq "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" 0 "files left in the inbox (seed $seed)"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" 9 "contents loaded (seed $seed)"
expect_eq "$(sql "SELECT COUNT(DISTINCT sha256) FROM ingested_files WHERE status='loaded'")" 9 "distinct loaded contents"
for f in "$work/data"/*.csv; do
  b=$(basename "$f" .csv)
  n=$(find "$work/inbox/processed" -maxdepth 1 -type f \( -name "$b.csv" -o -name "$b.[0-9]*.csv" \) | wc -l)
  expect_eq "$n" 1 "copies of $b.csv in processed/ (seed $seed)"
  cmp -s "$f" "$work/inbox/processed/$b.csv" || fail "processed/$b.csv differs from the drop (seed $seed)"
done
expect_eq "$(ls "$work/inbox/quarantine" | wc -l)" 0 "files in quarantine (seed $seed)"
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$(generated_rows olist_orders_dataset.csv)" "orders (seed $seed)"
expect_eq "$(sql "SELECT COUNT(*) FROM geolocation")" "$(generated_rows olist_geolocation_dataset.csv)" "geolocation rows"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE status='running'")" 0 "runs left running (seed $seed)"
expect_eq "$(find "$scratch" -name 'segmentd-stage-*' | wc -l)" 0 "scratch files left (seed $seed)"
expect_eq "$(find "$work/inbox" "$work/exports" -name '.segmentd-*' | wc -l)" 0 "temporary files left (seed $seed)"
last_load=$(sql "SELECT MAX(finished_at) FROM ingested_files WHERE status='loaded'")
# At least one: a killed daemon's refresh can finish on the server after
# the next daemon started, and that daemon refreshes too when it found the
# data owed before the other's success was recorded.
after=$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded' AND started_at >= '$last_load'")
[ "$after" -ge 1 ] || fail "no successful refresh after the last load (seed $seed)"
expect_eq "$(readlink "$work/exports/current")" "run-$(newest_refresh)" "the published set (seed $seed)"
for f in final_customer_segments customer_rfm_scores segment_summary_analysis intermediate_order_values \
         bi_view_customer_segments; do
  [ -f "$work/exports/$f.csv" ] || fail "exports/$f.csv missing (seed $seed)"
done
# A restart right after a kill waits for the dead session's daemon lock
# instead of giving up.
expect_eq "$(grep -c 'daemon.fatal' "$work/daemon.log" || true)" 0 "fatal exits (seed $seed)"
echo ok
