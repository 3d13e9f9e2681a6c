#!/usr/bin/env bash
# Bad files land in quarantine/ with a reason file (and the rejects file when
# rows were refused); nothing of them is loaded; ignored names are left alone.
. "$(dirname "$0")/lib.sh"
write_config
create_database
start_daemon

printf 'order_id,colour\n1,blue\n' >"$work/inbox/mystery.csv"
printf '%s\r\n' 'customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state' \
  '06b8999e2fba1a1fbc88172c00ba8bc7,861eff4711a542e4b93843c6dd7febb0,14409,franca,SP' \
  ',4c93744516667ad3b8f1fb645a3116a4,01151,sao paulo,SP' >"$work/inbox/customers-bad.csv"
printf 'x\n' >"$work/inbox/.hidden.csv"
printf 'x\n' >"$work/inbox/upload.csv.part"

wait_for_log "inbox.file_quarantined file=mystery.csv" 30
wait_for_log "inbox.file_quarantined file=customers-bad.csv" 30
q=$work/inbox/quarantine
[ -f "$q/mystery.csv" ] || fail "mystery.csv not in quarantine"
grep -q "reason: line 1: header is not a known Olist dataset" "$q/mystery.csv.reason.txt" || fail "reason for mystery.csv"
[ -f "$q/customers-bad.csv" ] || fail "customers-bad.csv not in quarantine"
grep -q "status: rejected" "$q/customers-bad.csv.reason.txt" || fail "status in reason file"
grep -q "^3," "$q/customers-bad.csv.rejects.csv" || fail "rejects file does not name line 3: $(cat "$q/customers-bad.csv.rejects.csv")"
grep -q "rejects: $q/customers-bad.csv.rejects.csv" "$q/customers-bad.csv.reason.txt" || fail "reason names the rejects file"
# Never both: nothing in processed/, and the originals are gone from the inbox.
expect_eq "$(ls "$work/inbox/processed" | wc -l)" 0 "files in processed/"
[ ! -e "$work/inbox/mystery.csv" ] && [ ! -e "$work/inbox/customers-bad.csv" ] || fail "quarantined file still in inbox"
# Nothing half-loaded: the good row of the refused file is not there either.
expect_eq "$(sql "SELECT COUNT(*) FROM customers")" 0 "customers loaded from a refused file"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE status='rejected'")" 2 "ledger rows 'rejected'"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='ingest' AND status='failed'")" 2 "failed ingest runs"
# Ignored names stay, untouched, and were never looked at.
[ -f "$work/inbox/.hidden.csv" ] && [ -f "$work/inbox/upload.csv.part" ] || fail "ignored files were moved"
! grep -q "upload.csv.part\|hidden.csv" "$work/daemon.log" || fail "ignored files were considered"
# No data arrived, so no refresh.
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind='refresh'")" 0 "refreshes"
# history --run shows the file, its status and the rejects file.
run=$(sql "SELECT run_id FROM ingested_files WHERE original_name LIKE '%customers-bad.csv'")
"$bin" --config "$work/segmentd.yaml" history --run "$run" >"$work/history.txt"
grep -q "status rejected, dataset customers, rows read 2, loaded 0, rejected 1" "$work/history.txt" ||
  fail "history --run: $(cat "$work/history.txt")"
grep -q "rejects: " "$work/history.txt" || fail "history --run names no rejects file"
stop_daemon
echo ok
