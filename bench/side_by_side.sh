#!/usr/bin/env bash
# Two builds of segmentd on one server and one dataset, their refreshes
# alternating: the way to tell a slower build from a slower machine (the
# rule in BENCHMARKS.md "The full refresh since 2026-12-02, side by
# side").
#
#   bench/side_by_side.sh --old BIN [--scale 1] [--runs 5] [--days 3] [--pool MB] [--out DIR] [--smoke]
#
# --old      the other build's segmentd (build it from a worktree of the
#            commit, e.g. git worktree add /tmp/old c20ab10 && cd /tmp/old &&
#            BUILD_DIR=/tmp/old/build scripts/build.sh segmentd)
# --runs     full refreshes of each build, alternating (which goes first
#            alternates too)
# --days     daily deltas (segmentd-datagen --delta-day) loaded into both
#            databases, each followed by an incremental refresh of each
# --pool     the server's buffer pool, MB (privdb.sh's default is 512)
# --smoke    a tiny scale, this build against itself: the harness works
#
# Each build has its own database on the one server (its own schema and
# procedures: each migrates its own), loaded from the same generated
# files. Writes DIR/results.tsv (build, kind, run, measure, value),
# DIR/summary.md and DIR/machine.txt. Not a test: nothing here passes or
# fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old="" scale=1 runs=5 days=3 pool="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --old) old=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --pool) pool=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01 runs=2 days=1; shift ;;
    *) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
bench_start side-by-side build kind run measure value
old=${old:-$bin}
[ -x "$old" ] || { echo "--old: $old is not an executable" >&2; exit 2; }
stop_children() { :; }
[ -z "$pool" ] || bench_pool "$pool"
private_db "$out/db"
machine_header >"$out/machine.txt"
echo "old: $("$old" version) ($old)" >>"$out/machine.txt"
cat "$out/machine.txt" >&2

declare -A binary=([old]=$old [new]=$bin)
# A build from before the incremental refresh (2026-12-03) has no
# `refresh --full`: each of its refreshes is full, and it has no
# incremental runs to compare.
declare -A full_flag=([old]=--full [new]=--full)
"$old" refresh --help 2>&1 | grep -q -- --full || full_flag[old]=""
config() { echo "$out/$1.yaml"; }
for b in old new; do
  client -e "DROP DATABASE IF EXISTS side_$b; CREATE DATABASE side_$b"
  # Only what the commands read: an older build refuses keys it does not know.
  printf 'database:\n  socket: %s\n  user: root\n  database: side_%s\n' "$PRIVDB_SOCKET" "$b" >"$(config $b)"
  "${binary[$b]}" --config "$(config $b)" migrate >/dev/null
done

log "scale $scale: generating and loading into both databases"
"$datagen" --scale "$scale" --seed 1 --out "$out/data" >/dev/null
for b in old new; do
  "${binary[$b]}" --config "$(config $b)" ingest "$out/data"/*.csv >/dev/null 2>>"$out/cli.log"
  "${binary[$b]}" --config "$(config $b)" refresh ${full_flag[$b]} >/dev/null 2>>"$out/cli.log"
done
rm -rf "$out/data"

steps="order_values rfm_segments history report_figures swap change_log aggregates rescore"
# refresh_once BUILD KIND RUN [--full]: one timed refresh, its steps recorded.
refresh_once() {
  local b=$1 kind=$2 run=$3 t0 t step
  shift 3
  t0=$(date +%s.%N)
  "${binary[$b]}" --config "$(config "$b")" refresh "$@" >/dev/null 2>>"$out/cli.log"
  t=$(seconds_since "$t0")
  record "$b" "$kind" "$run" refresh_s "$t"
  record "$b" "$kind" "$run" mode "$(client -N -B "side_$b" -e "SELECT JSON_UNQUOTE(JSON_EXTRACT(details, '\$.mode'))
    FROM pipeline_runs WHERE kind = 'refresh' ORDER BY run_id DESC LIMIT 1")"
  for step in $steps; do
    record "$b" "$kind" "$run" "${step}_s" "$(client -N -B "side_$b" -e "SELECT COALESCE(JSON_EXTRACT(step_timings,
      '\$.${step}_ms') / 1000, 0) FROM pipeline_runs WHERE kind = 'refresh' ORDER BY run_id DESC LIMIT 1")"
  done
  log "$b $kind run $run: ${t}s"
}

for ((r = 1; r <= runs; r++)); do
  if ((r % 2)); then order="old new"; else order="new old"; fi
  # shellcheck disable=SC2086
  for b in $order; do refresh_once "$b" full "$r" ${full_flag[$b]}; done
done
for ((d = 1; d <= days; d++)); do
  "$datagen" --scale "$scale" --seed 1 --delta-day "$d" --out "$out/day$d" >/dev/null
  for b in old new; do
    "${binary[$b]}" --config "$(config $b)" ingest "$out/day$d"/*.csv >/dev/null 2>>"$out/cli.log"
  done
  rm -rf "$out/day$d"
  if ((d % 2)); then order="old new"; else order="new old"; fi
  for b in $order; do
    if [ -n "${full_flag[$b]}" ]; then
      refresh_once "$b" incremental "$d"
    else
      "${binary[$b]}" --config "$(config $b)" refresh >/dev/null 2>>"$out/cli.log"  # full, untimed: the data agree
    fi
  done
done

# Both builds must agree on the results, or their times compare nothing.
differ=$(client -N -B -e "SELECT COUNT(*) FROM side_old.customer_segments o
  LEFT JOIN side_new.customer_segments n ON n.customer_unique_id = o.customer_unique_id
  WHERE n.customer_unique_id IS NULL OR n.segment_name <> o.segment_name OR n.r_score <> o.r_score
     OR n.f_score <> o.f_score OR n.m_score <> o.m_score")
extra=$(client -N -B -e "SELECT COUNT(*) FROM side_new.customer_segments n
  LEFT JOIN side_old.customer_segments o ON o.customer_unique_id = n.customer_unique_id WHERE o.customer_unique_id IS NULL")

median_of() {  # median_of BUILD KIND MEASURE
  awk -F'\t' -v b="$1" -v k="$2" -v m="$3" '$1 == b && $2 == k && $4 == m { print $5 }' "$results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
range_of() {  # range_of BUILD KIND MEASURE: min-max
  awk -F'\t' -v b="$1" -v k="$2" -v m="$3" '$1 == b && $2 == k && $4 == m { print $5 }' "$results" | sort -g |
    awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi; else print "-" }'
}
{
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "Scale $scale; $runs full refreshes and $days incremental ones (daily deltas) of each build, alternating."
  echo "Customers whose results differ between the builds: $differ (and $extra only in the new one's)."
  echo
  echo "| build | kind | refresh s (range) | refresh s (median) | order values s | scoring s | history s | report figures s | swap s | change log s | aggregates s | rescore s |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for kind in full incremental; do
    for b in old new; do
      printf '| %s | %s | %s | %s |' "$b" "$kind" "$(range_of $b $kind refresh_s)" "$(median_of $b $kind refresh_s)"
      for step in $steps; do printf ' %s |' "$(median_of $b $kind "${step}_s")"; done
      echo
    done
  done
} >"$out/summary.md"
cat "$out/summary.md"
[ "$differ" = 0 ] && [ "$extra" = 0 ] || { echo "the two builds' results differ" >&2; exit 1; }
