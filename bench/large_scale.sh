#!/usr/bin/env bash
# One large scale (default 100x: about 10 M orders) end to end through a
# running daemon, opt-in and not part of any test: the nine files renamed
# into the inbox of a daemon on an empty database, then the time of each
# file's load (from the ledger), the full refresh that follows and its
# steps, the daemon's peak RSS (VmHWM) through it all, and the disk used by
# the files and the database. At 100x: about 12 GB of files and 30 GB of
# database on the reference machine; BENCHMARKS.md has the times.
#
#   bench/large_scale.sh [--scale 100] [--pool MB] [--out DIR] [--smoke]
#
# --pool sizes the server's buffer pool (privdb.sh's default is 512 MB).
#
# Writes DIR/results.tsv (measure, value, unit) and prints it. --smoke: a
# tiny scale, to check the harness (a ctest test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=100 out="" pool=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --pool) pool=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01; shift ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start large-scale measure value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
[ -z "$pool" ] || bench_pool "$pool"
private_db "$out/db"
sql() { client -N -B large -e "$1"; }
machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

log "scale $scale: generating the nine files"
t0=$(date +%s.%N)
"$datagen" --scale "$scale" --seed 1 --out "$out/data" >"$out/counts.tsv"
record datagen_s "$(seconds_since "$t0")" s
record files_bytes "$(du -sb "$out/data" | cut -f1)" bytes
record rows "$(awk -F'\t' '{ s += $2 } END { print s }' "$out/counts.tsv")" rows
client -e "CREATE DATABASE large"
mkdir -p "$out/inbox"
cat >"$out/large.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: large
inbox:
  path: $out/inbox
observability:
  listen: ""
YAML
"$bin" --config "$out/large.yaml" migrate >/dev/null
logf=$out/daemon.log
"$bin" --config "$out/large.yaml" run 2>"$logf" &
daemon=$!
wait_log "$logf" "daemon.ready" 120
log "renaming the nine files into the inbox"
for f in "$out/data"/*.csv; do ln "$f" "$out/inbox/.$(basename "$f").part"; done
for f in "$out/data"/*.csv; do mv "$out/inbox/.$(basename "$f").part" "$out/inbox/$(basename "$f")"; done
t0=$(date +%s.%N)
wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 14400
record end_to_end_s "$(seconds_since "$t0")" s
record daemon_peak_rss_mb "$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$daemon/status")" MB
kill -TERM "$daemon"
wait "$daemon" || true
daemon=""
while read -r name seconds rows; do
  record "load_${name}_s" "$seconds" "s ($rows rows)"
done < <(sql "SELECT dataset, TIMESTAMPDIFF(MICROSECOND, started_at, finished_at) / 1e6, rows_loaded
              FROM ingested_files WHERE status = 'loaded' ORDER BY id")
record ingest_runs_s "$(sql "SELECT ROUND(SUM(duration_ms) / 1000, 3) FROM pipeline_runs WHERE kind = 'ingest'")" s
run=$(sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded'")
record refresh_s "$(sql "SELECT ROUND(duration_ms / 1000, 3) FROM pipeline_runs WHERE run_id = $run")" s
record refresh_steps "$(sql "SELECT CAST(step_timings AS CHAR) FROM pipeline_runs WHERE run_id = $run")" json
record customers "$(sql "SELECT customers_segmented FROM pipeline_runs WHERE run_id = $run")" customers
record database_bytes "$(du -sb "$out/db" | cut -f1)" bytes
cat "$results"
