#!/usr/bin/env bash
# A burst of small files (the orders split into 20 pieces, arriving at
# once, without their customers): each is loaded once, one refresh follows,
# the whole-table reference checks are left to the last file of the burst
# rather than repeated for each, and that run's checks count every piece.
. "$(dirname "$0")/lib.sh"
write_config ""
create_database
generate_data 0.02 "$work/data"
start_daemon

pieces=20
staging=$work/staging
mkdir -p "$staging"
orders=$work/data/olist_orders_dataset.csv
rows=$(generated_rows olist_orders_dataset.csv)
per=$(((rows + pieces - 1) / pieces))
tail -n +2 "$orders" | split -l "$per" -d -a 2 - "$staging/piece-"
n=0
for p in "$staging"/piece-*; do
  { head -n1 "$orders"; cat "$p"; } >"$staging/orders-$(basename "$p").csv"
  rm "$p"
  n=$((n + 1))
done
expect_eq "$n" "$pieces" "pieces written"
# One rename each, on the same file system: all arrive within a moment.
for f in "$staging"/*.csv; do mv "$f" "$work/inbox/"; done

wait_for_log "refresh.finished trigger=file" 120
sleep 5  # longer than the debounce: a second refresh would show up here
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" "$pieces" "pieces loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$rows" "orders loaded"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh'")" 1 "refreshes after the burst"
expect_eq "$(ls "$work/inbox/processed" | wc -l)" "$pieces" "pieces in processed/"

ingest="kind='ingest' AND \`trigger\`='file' AND status='succeeded'"
deferred=$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE $ingest AND JSON_EXTRACT(details, '\$.data_quality_deferred')")
checked=$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE $ingest AND JSON_CONTAINS_PATH(details, 'one', '\$.data_quality')")
expect_eq "$((deferred + checked))" "$pieces" "every run either checked or deferred"
# The daemon finds the pieces within a scan or two: most leave the checks
# to a later file. (Each used to scan the whole tables.)
[ "$deferred" -ge $((pieces / 2)) ] || fail "only $deferred of $pieces runs deferred their checks"
# The newest run checked, and counted the orders of every piece: no
# customer was loaded, so each order points at an unknown one.
last=$(sql "SELECT run_id FROM pipeline_runs WHERE $ingest ORDER BY run_id DESC LIMIT 1")
expect_eq "$(sql "SELECT JSON_EXTRACT(details, '\$.data_quality.orders_with_unknown_customer') FROM pipeline_runs WHERE run_id = $last")" \
  "$rows" "dangling customer references counted by the last run"
stop_daemon
echo "ok"
