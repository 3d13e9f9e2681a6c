#!/usr/bin/env bash
# Retention in the daemon: a pass at start removes what the settings no
# longer keep (old runs, old ledger rows, the history of older refreshes)
# and nothing else, as its own audited run; a run a dead session left
# running is closed first and kept; the metrics count it; status shows the
# settings and the last pass; the CLI's dry run and JSON agree.
. "$(dirname "$0")/lib.sh"
write_config "retention:
  pipeline_runs_days: 30
  ingested_files_days: 30
  history_runs: 1
  monthly_snapshots: 0
observability:
  listen: \"\"
  textfile: $work/segmentd.prom"
create_database
# Old runs (older than the real ones: the newest run of a kind always
# stays) and an old ledger row of a file that is gone, and a retention run
# that a session which no longer exists left running an hour ago.
for d in 2020-01-01 2020-01-02 2020-01-03; do
  sql "INSERT INTO pipeline_runs (kind, \`trigger\`, status, started_at, finished_at) VALUES ('ingest', 'cli', 'failed', '$d', '$d')"
done
sql "INSERT INTO ingested_files (original_name, sha256, size_bytes, status, started_at, finished_at)
     VALUES ('$work/inbox/old.csv', REPEAT('b', 64), 1, 'rejected', '2020-01-01', '2020-01-01')"
sql "INSERT INTO pipeline_runs (kind, \`trigger\`, status, started_at, connection_id)
     VALUES ('retention', 'schedule', 'running', UTC_TIMESTAMP(3) - INTERVAL 1 HOUR, 4000000000)"
left_running=$(sql "SELECT MAX(run_id) FROM pipeline_runs")
generate_data 0.01 "$work/data"
"$bin" --config "$work/segmentd.yaml" ingest "$work/data"/*.csv >"$work/ingest.txt" || fail "ingest: $(cat "$work/ingest.txt")"
for i in 1 2 3; do "$bin" --config "$work/segmentd.yaml" refresh >/dev/null || fail "refresh $i"; done
refreshes=$(sql "SELECT GROUP_CONCAT(run_id ORDER BY run_id) FROM pipeline_runs WHERE kind = 'refresh'")
customers=$(sql "SELECT COUNT(*) FROM customer_segments")
ledger_before=$(sql "SELECT COUNT(*) FROM ingested_files")

start_daemon
wait_for_log "retention.finished" 30
line=$(grep "retention.finished" "$work/daemon.log" | head -1)
for want in "status=succeeded" "complete=yes" "history_runs=1" "history_rows=$customers" "runs=3" "ledger_rows=1"; do
  grep -q "$want" <<<"$line" || fail "retention.finished lacks $want: $line"
done
run=$(sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'retention'")
expect_eq "$(sql "SELECT CONCAT(\`trigger\`, '/', status) FROM pipeline_runs WHERE run_id = $run")" "schedule/succeeded" "audit row"
expect_eq "$(sql "SELECT JSON_EXTRACT(details, '$.pipeline_runs.removed') FROM pipeline_runs WHERE run_id = $run")" 3 \
  "runs removed in the audit row"
expect_eq "$(sql "SELECT JSON_EXTRACT(details, '$.customer_segment_history.runs_removed[0]') FROM pipeline_runs WHERE run_id = $run")" \
  "${refreshes%%,*}" "the oldest refresh's history went"
# Exactly that: the two newest refreshes keep their history, the ledger
# of real files stays, and the run left running was closed, not removed.
expect_eq "$(sql "SELECT GROUP_CONCAT(DISTINCT run_id ORDER BY run_id) FROM customer_segment_history")" \
  "${refreshes#*,}" "runs with history"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files")" $((ledger_before - 1)) "ledger rows"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs WHERE kind = 'refresh'")" 3 "refresh runs (recent: all kept)"
expect_eq "$(sql "SELECT status FROM pipeline_runs WHERE run_id = $left_running")" abandoned "the run left running"
expect_eq "$(sql "SELECT SUM(customers) FROM vw_segment_transitions WHERE to_segment <> '(gone)'")" "$customers" \
  "transitions between the two kept runs"
expect_eq "$(awk '$1 == "segmentd_retention_removed_total{what=\"pipeline_runs\"}" {print $2}' "$work/segmentd.prom")" 3 \
  "retention in the metrics"
expect_eq "$(awk '$1 == "segmentd_runs_total{kind=\"retention\",trigger=\"schedule\",status=\"succeeded\"}" {print $2}' "$work/segmentd.prom")" \
  1 "retention runs in the metrics"

"$bin" --config "$work/segmentd.yaml" status >"$work/status.txt" || fail "status exit code"
grep -q "^retention: *runs 30d, ledger 30d, history last 1 runs + 0 monthly, processed/ 30d, quarantine/ 90d; next pass 20" \
  "$work/status.txt" || fail "status retention line: $(cat "$work/status.txt")"
grep -q "^last retention: *run $run succeeded at .* UTC: removed: history of 1 runs" "$work/status.txt" \
  || fail "status last retention: $(cat "$work/status.txt")"

# Nothing more is due; the dry run says so and records nothing.
runs_before=$(sql "SELECT COUNT(*) FROM pipeline_runs")
"$bin" --config "$work/segmentd.yaml" retention --dry-run >"$work/dry.txt" || fail "dry run exit code"
grep -q "^due: history of 0 runs (0 rows; 0 carried to later runs), 0 runs, 0 ledger rows" "$work/dry.txt" || fail "dry run: $(cat "$work/dry.txt")"
expect_eq "$(sql "SELECT COUNT(*) FROM pipeline_runs")" "$runs_before" "runs after a dry run"
# A CLI pass beside the daemon: its own run, trigger cli, JSON details.
"$bin" --config "$work/segmentd.yaml" retention --json >"$work/cli.json" || fail "cli pass exit code"
python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert d["complete"] is True, d' "$work/cli.json" \
  || fail "cli JSON: $(cat "$work/cli.json")"
expect_eq "$(sql "SELECT CONCAT(\`trigger\`, '/', status) FROM pipeline_runs WHERE kind = 'retention' ORDER BY run_id DESC LIMIT 1")" \
  "cli/succeeded" "cli pass recorded"
stop_daemon
echo ok
