#!/usr/bin/env bash
# Full refreshes at each scale, with what each step costs and where the time
# goes: the procedure's own step timings, the server's counters over each
# refresh (pages read from disk against from the buffer pool, sorts that
# merged on disk, temporary tables that went to disk) and, with
# --statements, every statement inside the procedure that took longer than
# 10 ms (performance_schema, which the server then runs with).
#
#   bench/full_refresh.sh [--scales "1 10"] [--runs 5] [--statements] [--out DIR] [--smoke]
#
# Each scale is loaded once (segmentd ingest) and refreshed once untimed,
# so that every timed run replaces live results, as a scheduled full
# refresh does. Writes DIR/results.tsv (scale, run, measure, value),
# DIR/statements-SCALE.tsv and DIR/summary.md. Not a test: nothing here
# passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scales="1 10" runs=5 statements=0 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scales) scales=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --statements) statements=1; shift ;;
    --out) out=$2; shift 2 ;;
    --smoke) scales=0.01 runs=3 statements=1; shift ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start full-refresh scale run measure value
stop_children() { :; }
if [ "$statements" = 1 ]; then
  export PRIVDB_EXTRA_ARGS="--performance-schema=ON --performance-schema-consumer-events-statements-current=ON
    --performance-schema-consumer-events-statements-history-long=ON
    --performance-schema-events-statements-history-long-size=20000"
  PRIVDB_EXTRA_ARGS=$(tr '\n' ' ' <<<"$PRIVDB_EXTRA_ARGS")
fi
private_db "$out/db"
machine_header >"$out/machine.txt"
echo "performance_schema: $(client -N -B -e 'SELECT @@performance_schema')" >>"$out/machine.txt"
cat "$out/machine.txt" >&2

counters="Innodb_buffer_pool_reads Innodb_buffer_pool_read_requests Innodb_data_read Sort_merge_passes Created_tmp_disk_tables"
counter_values() {  # the counters, space-separated, in $counters order
  local c v line=""
  for c in $counters; do
    v=$(client -N -B -e "SHOW GLOBAL STATUS LIKE '$c'" | cut -f2)
    line+="${v:-0} "
  done
  echo "$line"
}
steps="order_values rfm_segments history report_figures swap"

for scale in $scales; do
  data=$out/data-$scale
  log "scale $scale: generating and loading"
  "$datagen" --scale "$scale" --seed 1 --out "$data" >/dev/null
  client -e "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench"
  cat >"$out/bench.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: bench
YAML
  "$bin" --config "$out/bench.yaml" migrate >/dev/null
  "$bin" --config "$out/bench.yaml" ingest "$data"/*.csv >/dev/null 2>>"$out/cli.log"
  rm -rf "$data"
  "$bin" --config "$out/bench.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
  record "$scale" 0 customers "$(client -N -B bench -e 'SELECT COUNT(*) FROM customer_scores')"
  record "$scale" 0 database_bytes "$(client -N -B -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'bench'")"
  [ "$statements" = 1 ] && client -e "TRUNCATE performance_schema.events_statements_history_long"
  for ((r = 1; r <= runs; r++)); do
    read -r -a before <<<"$(counter_values)"
    t0=$(date +%s.%N)
    "$bin" --config "$out/bench.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
    t=$(seconds_since "$t0")
    read -r -a after <<<"$(counter_values)"
    record "$scale" "$r" refresh_s "$t"
    i=0
    for c in $counters; do
      record "$scale" "$r" "$c" "$((after[i] - before[i]))"
      i=$((i + 1))
    done
    for step in $steps; do
      record "$scale" "$r" "${step}_s" "$(client -N -B bench -e "SELECT JSON_EXTRACT(step_timings, '\$.${step}_ms') / 1000
        FROM pipeline_runs WHERE kind = 'refresh' ORDER BY run_id DESC LIMIT 1")"
    done
    log "scale $scale run $r: full refresh ${t}s, $((after[0] - before[0])) pages read from disk"
  done
  if [ "$statements" = 1 ]; then
    # Inside the procedure (nesting level 1 and deeper: segmentd calls
    # segmentd_refresh_run itself), summed over the runs.
    client -N -B -e "SELECT ROUND(SUM(TIMER_WAIT) / 1e12 / $runs, 3), COUNT(*) DIV $runs,
        REPLACE(REPLACE(LEFT(SQL_TEXT, 120), '\n', ' '), '\t', ' ')
      FROM performance_schema.events_statements_history_long
     WHERE NESTING_EVENT_LEVEL >= 1 AND CURRENT_SCHEMA = 'bench'
     GROUP BY 3 HAVING SUM(TIMER_WAIT) / $runs > 1e10 ORDER BY 1 DESC" >"$out/statements-$scale.tsv"
  fi
done

median_of() {  # median_of SCALE MEASURE
  awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $3 == m && $2 > 0 { print $4 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
{
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "Medians of $runs full refreshes per scale."
  echo
  echo "| scale | customers | refresh s | order values s | scoring s | history s | report figures s | swap s | pages read from disk | pool read requests | sort merge passes | temporary tables on disk |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for scale in $scales; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$scale" \
      "$(awk -F'\t' -v s="$scale" '$1 == s && $3 == "customers" { print $4 }' "$results")" \
      "$(median_of "$scale" refresh_s)" "$(median_of "$scale" order_values_s)" "$(median_of "$scale" rfm_segments_s)" \
      "$(median_of "$scale" history_s)" "$(median_of "$scale" report_figures_s)" "$(median_of "$scale" swap_s)" \
      "$(median_of "$scale" Innodb_buffer_pool_reads)" "$(median_of "$scale" Innodb_buffer_pool_read_requests)" \
      "$(median_of "$scale" Sort_merge_passes)" "$(median_of "$scale" Created_tmp_disk_tables)"
  done
  if [ "$statements" = 1 ]; then
    for scale in $scales; do
      echo
      echo "Statements over 10 ms at scale $scale (seconds per refresh, executions per refresh, text):"
      echo
      sed 's/^/    /' "$out/statements-$scale.tsv"
    done
  fi
} >"$out/summary.md"
cat "$out/summary.md"
