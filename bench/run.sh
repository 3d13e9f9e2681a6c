#!/usr/bin/env bash
# segmentd benchmarks, side by side in one run, on a private database this
# script starts. See BENCHMARKS.md for what each figure means.
#
#   bench/run.sh [--scales "1 10"] [--runs 3] [--refresh-runs 5] [--idle 60] [--out DIR] [--ingest-only]
#                [--files "..."] [--anchor-limit S] [--second-pool MB] [--smoke]
#   --scales   dataset scales (1 = 99,441 orders); add 100 when you have time
#   --ingest-only   only segmentd ingest against the client's LOAD DATA, with
#                   the ingest's peak RSS
#   --files    only these of the nine files (names, space-separated); at 100x
#              the client's LOAD DATA of all nine takes hours (BENCHMARKS.md)
#   --anchor-limit S  with --ingest-only: each file measured by itself, the
#              client's LOAD DATA on a server of its own and given at most S
#              seconds; one it does not finish counts as S and its ratio as
#              a lower bound (">=")
#   --runs     runs per measurement; the median is reported
#   --refresh-runs  runs of segmentd refresh per scale (short, so more of them)
#   --second-pool   also time the refreshes with the server's buffer pool
#                   resized to this many MB (e.g. 2048), then put back
#   --idle     seconds of idle daemon CPU measurement
#   --out      results folder (default bench/results/<UTC date-time>)
#   --smoke    tiny scale, one run: checks the harness works (a ctest test)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scales="1 10" runs=3 refresh_runs=5 second_pool="" idle=60 out="" smoke=0 ingest_only=0 only_files="" anchor_limit=""
while [ $# -gt 0 ]; do
  case "$1" in
    --scales) scales=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --refresh-runs) refresh_runs=$2; shift 2 ;;
    --second-pool) second_pool=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --ingest-only) ingest_only=1; shift ;;
    --files) only_files=$2; shift 2 ;;
    --anchor-limit) anchor_limit=$2; shift 2 ;;
    --smoke) smoke=1; scales=0.01 runs=1 refresh_runs=1 idle=2; shift ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
if [ -n "$anchor_limit" ] && [ "$ingest_only" = 0 ]; then
  echo "--anchor-limit measures loads only: add --ingest-only" >&2
  exit 2
fi
. "$root/bench/lib.sh"
out=${out:-$root/bench/results/run-$(date -u +%Y%m%dT%H%M%SZ)}
bench_start run scale measure run value unit
daemon=""
stop_children() { [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true; }
private_db "$out/db"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# measured SCALE MEASURE: the median of its runs.
measured() { awk -F'\t' -v s="$1" -v k="$2" '$1 == s && $2 == k { print $4 }' "$results" | median; }

# The refresh steps whose own timings (pipeline_runs.step_timings) are kept.
steps="order_values rfm_segments history"

# timed_refresh SCALE MEASURE RUN: one segmentd refresh, its seconds recorded.
timed_refresh() {
  local t0 t
  t0=$(now)
  "$bin" --config "$out/ingest.yaml" refresh >/dev/null
  t=$(elapsed "$t0" "$(now)")
  record "$1" "$2" "$3" "$t" s
  log "scale $1 run $3: $2 ${t}s"
}

# buffer_pool MB: resize the server's buffer pool online and wait until done.
buffer_pool() {
  client -e "SET GLOBAL innodb_buffer_pool_size = $(($1 * 1048576))"
  local i status
  for ((i = 0; i < 1200; i++)); do
    status=$(client -N -B -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'" | cut -f2)
    [ "$(client -N -B -e 'SELECT @@innodb_buffer_pool_size DIV 1048576')" = "$1" ] &&
      ! grep -qi "resizing\|withdraw\|allocat" <<<"$status" && return 0
    sleep 0.1
  done
  echo "buffer pool resize to $1 MB did not finish: $status" >&2
  exit 1
}

fresh_database() {  # fresh_database NAME [extra yaml]
  client -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`"
  cat >"$out/$1.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: $1
${2:-}
YAML
  "$bin" --config "$out/$1.yaml" migrate >/dev/null
}

# anchor_database PRIVDB_DIR: a fresh, migrated database `anchor` on that
# server for the client's LOAD DATA. The anchor is the server taking the
# files as fast as it can: without the change-tracking triggers (R050),
# which segmentd's own load into an empty table turns off too.
anchor_database() {
  local adb=$1
  "$root/scripts/privdb.sh" client "$adb" -e "DROP DATABASE IF EXISTS anchor; CREATE DATABASE anchor"
  cat >"$out/anchor.yaml" <<YAML
database:
  socket: $(sed -n 's/^PRIVDB_SOCKET=//p' "$adb/connection.env")
  user: root
  database: anchor
YAML
  "$bin" --config "$out/anchor.yaml" migrate >/dev/null
  "$root/scripts/privdb.sh" client "$adb" -N -B -e "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = 'anchor'" |
    while read -r trigger; do "$root/scripts/privdb.sh" client "$adb" anchor -e "DROP TRIGGER \`$trigger\`"; done
}

# segmentd_ingest SCALE RUN LABEL FILE...: segmentd ingest of the files into
# a fresh database, its seconds and peak RSS recorded under LABEL.
segmentd_ingest() {
  local scale=$1 r=$2 label=$3 t0 t rss
  shift 3
  fresh_database ingest
  t0=$(now)
  /usr/bin/time -f %M -o "$out/ingest-rss-$scale-$r.txt" \
    "$bin" --config "$out/ingest.yaml" ingest "$@" >>"$out/ingest-$scale-$r.txt"
  t=$(elapsed "$t0" "$(now)")
  record "$scale" "segmentd_ingest_s$label" "$r" "$t" s
  rss=$(awk '{ printf "%.1f", $1 / 1024 }' "$out/ingest-rss-$scale-$r.txt")
  record "$scale" "segmentd_ingest_peak_rss_mb$label" "$r" "$rss" MB
  log "scale $scale run $r: segmentd ingest${label:+ of ${label#:}} ${t}s, peak RSS ${rss} MB"
}

# per_file SCALE RUN FILE: one file each way. The client's LOAD DATA gets a
# server of its own and at most $anchor_limit seconds: stopped there, its
# statement would roll back for about as long again, so that server is
# killed and thrown away instead.
per_file() {
  local scale=$1 r=$2 file=$3 name adb t0 t capped=0
  name=$(basename "$file")
  adb=$out/anchor-db
  "$root/scripts/privdb.sh" start "$adb" >/dev/null
  anchor_database "$adb"
  t0=$(now)
  timeout -s KILL "$anchor_limit" "$root/scripts/load-with-client.sh" "$adb" anchor "$file" >/dev/null || {
    [ $? = 137 ] || { echo "client LOAD DATA of $name failed" >&2; exit 1; }
    capped=1
  }
  t=$(elapsed "$t0" "$(now)")
  [ "$capped" = 0 ] || t=$anchor_limit
  kill -KILL "$(cat "$adb/mysqld.pid")" 2>/dev/null || true
  "$root/scripts/privdb.sh" destroy "$adb" >/dev/null 2>&1 || true
  record "$scale" "anchor_load_data_s:$name" "$r" "$t" s
  record "$scale" "anchor_capped:$name" "$r" "$capped" flag
  log "scale $scale run $r: client LOAD DATA of $name ${t}s$([ "$capped" = 0 ] || echo ' (stopped at the limit)')"
  segmentd_ingest "$scale" "$r" ":$name" "$file"
}

{
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM"
  echo "kernel: $(uname -r); os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "server: $(client -N -B -e 'SELECT VERSION()'), innodb_buffer_pool_size $(client -N -B -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MB"
  echo "segmentd: $("$bin" version)"
} >"$out/machine.txt"
cat "$out/machine.txt" >&2

for scale in $scales; do
  data=$out/data-$scale
  log "scale $scale: generating data"
  "$datagen" --scale "$scale" --seed 1 --out "$data" >"$out/counts-$scale.tsv"
  rows=$(awk -F'\t' '{ s += $2 } END { print s }' "$out/counts-$scale.tsv")
  files=("$data"/*.csv)
  if [ -n "$only_files" ]; then
    files=()
    for f in $only_files; do
      [ -f "$data/$f" ] || { echo "no such generated file: $f" >&2; exit 2; }
      files+=("$data/$f")
    done
    rows=$(awk -F'\t' -v only=" $only_files " 'index(only, " " $1 " ") { s += $2 } END { print s }' "$out/counts-$scale.tsv")
  fi

  if [ -n "$anchor_limit" ]; then
    for ((r = 1; r <= runs; r++)); do
      for f in "${files[@]}"; do per_file "$scale" "$r" "$f"; done
    done
    record "$scale" rows_total 1 "$rows" rows
    continue
  fi
  for ((r = 1; r <= runs; r++)); do
    anchor_database "$db"
    t0=$(now)
    "$root/scripts/load-with-client.sh" "$db" anchor "${files[@]}" >/dev/null
    t=$(elapsed "$t0" "$(now)")
    record "$scale" anchor_load_data_s "$r" "$t" s
    log "scale $scale run $r: client LOAD DATA ${t}s"
    # Its copy is not needed again; at 100x the two would not fit the disk.
    client -e "DROP DATABASE anchor"

    segmentd_ingest "$scale" "$r" "" "${files[@]}"
  done
  if [ "$ingest_only" = 1 ]; then
    record "$scale" rows_total 1 "$rows" rows
    continue
  fi

  for ((r = 1; r <= refresh_runs; r++)); do
    timed_refresh "$scale" segmentd_refresh_s "$r"
    # The procedure's own timing of each step, for the growth of each.
    columns=""
    for step in $steps; do columns+="${columns:+, }JSON_EXTRACT(step_timings, '\$.${step}_ms') / 1000"; done
    read -r -a seconds <<<"$(client -N -B ingest -e "SELECT $columns FROM pipeline_runs
      WHERE kind = 'refresh' ORDER BY run_id DESC LIMIT 1")"
    i=0
    for step in $steps; do record "$scale" "refresh_${step}_s" "$r" "${seconds[i++]}" s; done
  done

  # The same refreshes with a buffer pool that holds what they touch.
  if [ -n "$second_pool" ]; then
    main_pool=$(client -N -B -e 'SELECT @@innodb_buffer_pool_size DIV 1048576')
    buffer_pool "$second_pool"
    # One untimed refresh fills the resized pool first, as on a server that
    # has been up for a while; timed from cold, the first runs measure the
    # disk filling it.
    "$bin" --config "$out/ingest.yaml" refresh >/dev/null
    for ((r = 1; r <= refresh_runs; r++)); do
      timed_refresh "$scale" segmentd_refresh_second_pool_s "$r"
    done
    buffer_pool "$main_pool"
  fi

  # The original's approach on key-less raw tables in the same database.
  client ingest <"$root/bench/baseline_raw_tables.sql"
  for f in customers orders order_items order_payments; do
    client ingest -e "LOAD DATA LOCAL INFILE '$data/olist_${f}_dataset.csv' INTO TABLE raw_$f CHARACTER SET utf8mb4
      FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' IGNORE 1 LINES"
  done
  for ((r = 1; r <= runs; r++)); do
    t0=$(now)
    client ingest <"$root/bench/original_baseline.sql"
    t=$(elapsed "$t0" "$(now)")
    record "$scale" original_refresh_s "$r" "$t" s
    log "scale $scale run $r: original CREATE TABLE AS refresh ${t}s"
  done
  record "$scale" rows_total 1 "$rows" rows
  record "$scale" customers 1 "$(client -N -B ingest -e 'SELECT COUNT(*) FROM customer_segments')" customers
done

# End to end and footprint: the real daemon with its default settle and
# debounce. End to end at the first scale; footprint at the largest.
first=${scales%% *}
last=${scales##* }
[ "$ingest_only" = 1 ] && first="" last=""
for scale in $(printf '%s\n' "$first" "$last" | uniq); do
  data=$out/data-$scale
  reps=$runs
  [ "$scale" = "$first" ] || reps=1
  for ((r = 1; r <= reps; r++)); do
    rm -rf "$out/inbox"
    mkdir -p "$out/inbox"
    # Without the HTTP listener, like the reference runs before it existed.
    fresh_database e2e "inbox:
  path: $out/inbox
observability:
  listen: \"\""
    logf=$out/daemon-$scale-$r.log
    "$bin" --config "$out/e2e.yaml" run 2>"$logf" &
    daemon=$!
    wait_log "$logf" "daemon.ready" 60 1 "$daemon"
    for f in "$data"/*.csv; do cp "$f" "$out/inbox/$(basename "$f").part"; done
    for f in "$data"/*.csv; do mv "$out/inbox/$(basename "$f").part" "$out/inbox/$(basename "$f")"; done
    t0=$(now)
    wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600 1 "$daemon"
    t=$(elapsed "$t0" "$(now)")
    if [ "$scale" = "$first" ]; then
      record "$scale" end_to_end_s "$r" "$t" s
      log "scale $scale run $r: end to end, all nine files at once ${t}s"
      # The usual case: files arrive over time and the last one completes
      # the batch. From its rename to the refresh that includes it.
      last_file=olist_orders_dataset.csv
      cp "$data/$last_file" "$out/inbox/again.csv.part"
      client e2e -e "DELETE FROM ingested_files WHERE original_name LIKE '%/$last_file'"
      mv "$out/inbox/again.csv.part" "$out/inbox/$last_file"
      t0=$(now)
      wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600 2 "$daemon"
      t=$(elapsed "$t0" "$(now)")
      record "$scale" end_to_end_last_file_s "$r" "$t" s
      log "scale $scale run $r: end to end, last file of a batch ${t}s"
    fi
    if [ "$scale" = "$last" ] && [ "$r" = 1 ]; then
      rss=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$daemon/status")
      record "$scale" daemon_peak_rss_mb 1 "$rss" MB
      log "scale $scale: daemon peak RSS ${rss} MB"
      ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
      c0=$(ticks)
      sleep "$idle"
      cpu=$(awk -v a="$c0" -v b="$(ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz }')
      record "$scale" daemon_idle_cpu_s "$idle" "$cpu" "s per ${idle}s"
      log "scale $scale: idle CPU ${cpu}s over ${idle}s"
    fi
    kill -TERM "$daemon"
    wait "$daemon"
    daemon=""
  done
done

# Summary: medians and ratios, and the growth plot.
summary=$out/summary.md
{
  cat "$out/machine.txt" | sed 's/^/    /'
  echo
  if [ -n "$anchor_limit" ]; then
    echo "Each file by itself; the client's LOAD DATA given at most $anchor_limit s (\">=\": stopped there, so a lower bound)."
    echo
    echo "| scale | file | rows | client LOAD DATA s | segmentd ingest s | ingest ratio (anchor/segmentd) | segmentd peak RSS MB |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for scale in $scales; do
      for f in $(awk -F'\t' -v s="$scale" '$1 == s && $2 ~ /^anchor_load_data_s:/ { sub(/^[^:]*:/, "", $2); print $2 }' "$results" | uniq); do
        capped=$(awk -F'\t' -v s="$scale" -v k="anchor_capped:$f" '$1 == s && $2 == k && $4 == 1 { c = 1 } END { print c + 0 }' "$results")
        rss=$(awk -F'\t' -v s="$scale" -v k="segmentd_ingest_peak_rss_mb:$f" '$1 == s && $2 == k { print $4 }' "$results" | sort -g | tail -1)
        awk -v s="$scale" -v f="$f" -v n="$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$out/counts-$scale.tsv")" \
          -v a="$(measured "$scale" "anchor_load_data_s:$f")" -v i="$(measured "$scale" "segmentd_ingest_s:$f")" \
          -v c="$capped" -v m="$rss" 'BEGIN {
          b = c ? ">= " : ""
          printf "| %s | %s | %d | %s%.2f | %.2f | %s%.2f | %s |\n", s, f, n, b, a, i, b, (i > 0) ? a / i : 0, m }'
      done
    done
  else
    echo "| scale | rows | client LOAD DATA s | segmentd ingest s | ingest ratio (anchor/segmentd) | segmentd rows/s | original refresh s | segmentd refresh s | refresh ratio | end to end: nine at once s | end to end: last file s |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for scale in $scales; do
      rows=$(measured "$scale" rows_total) anchor=$(measured "$scale" anchor_load_data_s) ingest=$(measured "$scale" segmentd_ingest_s)
      orig=$(measured "$scale" original_refresh_s) refresh=$(measured "$scale" segmentd_refresh_s) e2e=$(measured "$scale" end_to_end_s) e2e_last=$(measured "$scale" end_to_end_last_file_s)
      awk -v s="$scale" -v n="$rows" -v a="$anchor" -v i="$ingest" -v o="$orig" -v f="$refresh" -v e="${e2e:--}" -v l="${e2e_last:--}" 'BEGIN {
        printf "| %s | %d | %.2f | %.2f | %.2f | %.0f | %s | %s | %s | %s | %s |\n", s, n, a, i, a / i, n / i,
          (o == "") ? "-" : sprintf("%.2f", o), (f == "") ? "-" : sprintf("%.2f", f), (o > 0) ? sprintf("%.2f", f / o) : "-", e, l }'
    done
  fi
  echo
  prev=""
  for scale in $scales; do
    if [ -n "$prev" ] && [ "$ingest_only" = 0 ]; then
      printf 'segmentd refresh growth, %sx over %sx: %s' "$scale" "$prev" \
        "$(awk -v a="$(measured "$prev" segmentd_refresh_s)" -v b="$(measured "$scale" segmentd_refresh_s)" 'BEGIN { printf "%.1fx", b / a }')"
      for step in $steps; do
        awk -v n="$step" -v a="$(measured "$prev" "refresh_${step}_s")" -v b="$(measured "$scale" "refresh_${step}_s")" \
          'BEGIN { if (a > 0) printf "; %s %.1fx", n, b / a }'
      done
      echo
      if [ -n "$second_pool" ]; then
        awk -v a="$(measured "$prev" segmentd_refresh_second_pool_s)" \
          -v b="$(measured "$scale" segmentd_refresh_second_pool_s)" -v p="$second_pool" -v s="$scale" -v q="$prev" \
          'BEGIN { printf "segmentd refresh growth, %sx over %sx, with a %s MB buffer pool: %.1fx (%.2f s / %.2f s)\n", s, q, p, b / a, b, a }'
      fi
    fi
    prev=$scale
  done
  for scale in $scales; do
    awk -v s="$scale" -v m="$(awk -F'\t' -v s="$scale" '$1 == s && $2 == "segmentd_ingest_peak_rss_mb" { print $4 }' "$results" | sort -g | tail -1)" \
      'BEGIN { if (m != "") printf "segmentd ingest peak RSS at %sx (largest of the runs): %s MB\n", s, m }'
  done
  awk -F'\t' '$2 == "daemon_peak_rss_mb" { printf "daemon peak RSS during the %sx drop: %.1f MB\n", $1, $4 }
              $2 == "daemon_idle_cpu_s" { printf "daemon CPU while idle: %s s over %s s\n", $4, $3 }' "$results"
} >"$summary"
for scale in $scales; do
  printf '%s\t%s\t%s\t%s\t%s\n' "$scale" "$(measured "$scale" anchor_load_data_s)" "$(measured "$scale" segmentd_ingest_s)" "$(measured "$scale" original_refresh_s)" "$(measured "$scale" segmentd_refresh_s)"
done >"$out/growth.tsv"
if command -v gnuplot >/dev/null && [ "$smoke" = 0 ] && [ "$ingest_only" = 0 ]; then
  gnuplot <<GNUPLOT
set terminal pngcairo size 900,540 noenhanced
set output "$out/growth.png"
set title "segmentd: seconds by dataset scale (median of $runs runs, segmentd refresh of $refresh_runs)"
set logscale xy
set xlabel "scale (1 = 99,441 orders)"
set ylabel "seconds"
set key top left
set grid
plot "$out/growth.tsv" using 1:2 with linespoints title "client LOAD DATA (anchor)", \
     "" using 1:3 with linespoints title "segmentd ingest", \
     "" using 1:4 with linespoints title "original CREATE TABLE AS refresh", \
     "" using 1:5 with linespoints title "segmentd refresh"
GNUPLOT
fi
rm -rf "$out"/data-* "$out/inbox"
cat "$summary"
