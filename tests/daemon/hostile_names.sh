#!/usr/bin/env bash
# A file name that is not UTF-8 loads once and is shown
# escaped; a symlink, a FIFO and a folder in the inbox are reported once each
# and left alone; the inbox never jams.
. "$(dirname "$0")/lib.sh"
debounce=1 write_config "schedules: []"
create_database
generate_data 0.01 "$work/data"
start_daemon
bad=$'clientes-\xff\xfe.csv'
cp "$work/data/olist_customers_dataset.csv" "$work/inbox/$bad"
ln -s "$work/data/olist_orders_dataset.csv" "$work/inbox/orders-link.csv"
mkfifo "$work/inbox/pipe.csv"
mkdir "$work/inbox/subfolder"
wait_for_log 'inbox.file_processed file="?clientes-\\\\xff\\\\xfe.csv' 30
wait_for_log "refresh.finished trigger=file" 30
sleep 5  # rescans: nothing is reported or retried twice
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files")" 1 "ledger rows"
expect_eq "$(sql "SELECT status FROM ingested_files")" loaded "ledger status"
sql "SELECT original_name FROM ingested_files" | grep -qF 'clientes-\\xff\\xfe.csv' || \
  fail "ledger name not escaped: $(sql "SELECT original_name FROM ingested_files")"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE status='running'")" 0 "runs left running"
[ -f "$work/inbox/processed/$bad" ] || fail "the file with the odd name is not in processed/"
for n in orders-link.csv pipe.csv subfolder; do
  expect_eq "$(grep -c "inbox.entry_skipped name=$n" "$work/daemon.log")" 1 "reports of $n"
done
grep -q "inbox.entry_skipped name=processed" "$work/daemon.log" && fail "processed/ reported as a stray entry"
[ -L "$work/inbox/orders-link.csv" ] && [ -p "$work/inbox/pipe.csv" ] || fail "skipped entries were touched"
stop_daemon
echo ok
