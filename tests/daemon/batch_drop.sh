#!/usr/bin/env bash
# The nine files dropped in random order, some written slowly under a
# temporary (ignored) name and renamed: each is loaded exactly once, all end
# in processed/, exactly one refresh follows the batch, and the five exports
# carry the original deliverables' headers.
. "$(dirname "$0")/lib.sh"
write_config "exports:
  dir: $work/exports"
create_database
generate_data 0.02 "$work/data"
start_daemon

mapfile -t files < <(ls "$work/data"/*.csv | shuf)
slow=0
for f in "${files[@]}"; do
  base=$(basename "$f")
  if [ $((slow++ % 3)) = 0 ]; then
    # Written in pieces over more than the settle time under an ignored name.
    total=$(wc -l <"$f")
    head -n $((total / 2)) "$f" >"$work/inbox/$base.part"
    sleep 1.5
    tail -n +$((total / 2 + 1)) "$f" >>"$work/inbox/$base.part"
    mv "$work/inbox/$base.part" "$work/inbox/$base"
  else
    cp "$f" "$work/inbox/$base"
  fi
done

wait_for_log "refresh.finished trigger=file" 120
# Longer than the debounce: a second refresh would show up here.
sleep 5
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND \`trigger\`='file'")" 1 "refreshes after the batch"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh' AND status='succeeded'")" 1 "successful refreshes"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='loaded'")" 9 "files loaded"
expect_eq "$(sql "SELECT COUNT(DISTINCT sha256) FROM ingested_files")" 9 "distinct files in the ledger"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='ingest' AND \`trigger\`='file' AND status='succeeded'")" 9 "ingest runs"
expect_eq "$(ls "$work/inbox/processed" | wc -l)" 9 "files in processed/"
expect_eq "$(find "$work/inbox" -maxdepth 1 -type f | wc -l)" 0 "files left in the inbox"
expect_eq "$(ls "$work/inbox/quarantine" | wc -l)" 0 "files in quarantine/"
for f in "${files[@]}"; do
  cmp -s "$f" "$work/inbox/processed/$(basename "$f")" || fail "processed copy of $(basename "$f") differs"
done
orders=$(generated_rows olist_orders_dataset.csv)
expect_eq "$(sql "SELECT COUNT(*) FROM orders")" "$orders" "orders loaded"
customers=$(sql "SELECT COUNT(*) FROM customer_segments")
[ "$customers" -gt 0 ] || fail "no customers segmented"

# Exports: the original's five deliverables with its exact headers.
seed=$src/../shared/olist-real/seed-outputs
[ -d "$seed" ] || seed=/work/shared/olist-real/seed-outputs
for f in final_customer_segments customer_rfm_scores segment_summary_analysis intermediate_order_values \
  bi_view_customer_segments; do
  [ -f "$work/exports/$f.csv" ] || fail "export $f.csv missing"
  if [ -f "$seed/$f.csv" ]; then
    # The original's columns, in order; the summary gains two at the end,
    # the BI file the prediction columns (doc/PREDICTIONS.md).
    extra=""
    [ "$f" = segment_summary_analysis ] && extra=",description,recommended_action"
    [ "$f" = bi_view_customer_segments ] && extra=",p_alive,expected_purchases_30d,predicted_value_30d,expected_purchases_90d,predicted_value_90d,expected_purchases_365d,predicted_value_365d,expected_avg_spend"
    expect_eq "$(head -n1 "$work/exports/$f.csv")" "$(head -n1 "$seed/$f.csv" | tr -d '\r')$extra" "header of $f.csv"
  fi
done
expect_eq "$(($(wc -l <"$work/exports/final_customer_segments.csv") - 1))" "$customers" "rows in final_customer_segments.csv"
expect_eq "$(($(wc -l <"$work/exports/intermediate_order_values.csv") - 1))" "$(sql "SELECT COUNT(*) FROM order_values")" \
  "rows in intermediate_order_values.csv"
# Summary counts add up to the customers.
expect_eq "$(python3 -c 'import csv, sys; print(sum(int(r["customer_count"]) for r in csv.DictReader(open(sys.argv[1]))))' \
  "$work/exports/segment_summary_analysis.csv")" \
  "$customers" "customer_count total in segment_summary_analysis.csv"

# The same content dropped again is recognised and not loaded twice.
cp "$work/data/olist_sellers_dataset.csv" "$work/inbox/sellers-again.csv"
wait_for_log "inbox.file_processed file=sellers-again.csv status=duplicate" 30
stop_daemon
expect_eq "$(sql "SELECT status FROM pipeline_runs WHERE status='running'")" "" "runs left running"
grep -q "daemon.stopped exit_code=0" "$work/daemon.log" || fail "no daemon.stopped line"
echo "ok"
