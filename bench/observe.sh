#!/usr/bin/env bash
# The operations features' cost, on a private server started here:
#   - the HTTP listener: /metrics latency while idle and while the daemon
#     ingests and refreshes a drop of the nine files, and the daemon's CPU
#     over --idle seconds with a scrape every 15 s;
#   - the segment report: `segmentd report` time and size, three runs;
#   - customer_segment_history per refresh: --refreshes refreshes without
#     retention, then as many with a retention pass (history_runs: --keep,
#     monthly_snapshots: 0) after each: rows and bytes after each refresh.
#
#   bench/observe.sh [--scales "1 10"] [--refreshes 6] [--keep 3] [--idle 60] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (scale, measure, run, value, unit) and
# DIR/summary.md. Not a test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scales="1 10" refreshes=6 keep=3 idle=60 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scales) scales=$2; shift 2 ;;
    --refreshes) refreshes=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scales=0.01 refreshes=2 keep=1 idle=2; shift ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
bin=${SEGMENTD_BINARY:-$root/build/daemon/segmentd}
datagen=${SEGMENTD_DATAGEN:-$root/build/tools/segmentd-datagen}
[ -x "$bin" ] && [ -x "$datagen" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed (scripts/install-deps.sh)" >&2; exit 2; }
out=${out:-$root/bench/results/observe-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
daemon="" scraper=""
stop_children() {
  [ -n "$scraper" ] && kill "$scraper" 2>/dev/null || true
  [ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null || true
}
private_db "$out/db"
results=$out/results.tsv
printf 'scale\tmeasure\trun\tvalue\tunit\n' >"$results"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }
# quantile Q < numbers: the Q-th quantile (nearest rank).
quantile() { sort -g | awk -v q="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int(q * NR + 0.999999); if (i < 1) i = 1; print v[i] }'; }
# scrape_ms URL: one GET /metrics, its total time in milliseconds.
scrape_ms() { curl -s -o /dev/null -w '%{time_total}\n' "$1/metrics" | awk '{ printf "%.2f\n", $1 * 1000 }'; }
history_size() {  # rows, bytes (data + index) of the history (customer_segment_changes, V014), after fresh statistics
  client -N -B obs -e "ANALYZE TABLE customer_segment_changes" >/dev/null
  client -N -B obs -e "SELECT (SELECT COUNT(*) FROM customer_segment_changes), DATA_LENGTH + INDEX_LENGTH
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'obs' AND TABLE_NAME = 'customer_segment_changes'"
}

machine_header >"$out/machine.txt"
cat "$out/machine.txt" >&2

last=${scales##* }
for scale in $scales; do
  data=$out/data-$scale
  log "scale $scale: generating data"
  "$datagen" --scale "$scale" --seed 1 --out "$data" >/dev/null
  client -e "DROP DATABASE IF EXISTS obs; CREATE DATABASE obs"
  rm -rf "$out/inbox"
  mkdir -p "$out/inbox"
  port=$(free_port)
  url=http://127.0.0.1:$port
  cat >"$out/obs.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: obs
inbox:
  path: $out/inbox
observability:
  listen: 127.0.0.1:$port
retention:
  history_runs: $keep
  monthly_snapshots: 0
YAML
  "$bin" --config "$out/obs.yaml" migrate >/dev/null
  logf=$out/daemon-$scale.log
  "$bin" --config "$out/obs.yaml" run 2>"$logf" &
  daemon=$!
  wait_log "$logf" "daemon.ready" 60

  # The listener while nothing happens.
  for i in $(seq 1 50); do scrape_ms "$url"; done >"$out/scrape-idle-$scale.txt"
  # ... and while the nine files load and the refresh runs: a scrape every
  # 0.25 s from the first rename to the refresh recorded.
  for f in "$data"/*.csv; do cp "$f" "$out/inbox/$(basename "$f").part"; done
  (while true; do scrape_ms "$url"; sleep 0.25; done) >"$out/scrape-busy-$scale.txt" 2>/dev/null &
  scraper=$!
  for f in "$data"/*.csv; do mv "$out/inbox/$(basename "$f").part" "$out/inbox/$(basename "$f")"; done
  wait_log "$logf" "refresh.finished trigger=file .*status=succeeded" 3600
  kill "$scraper"
  wait "$scraper" 2>/dev/null || true
  scraper=""
  for phase in idle busy; do
    f=$out/scrape-$phase-$scale.txt
    record "$scale" "scrape_${phase}_count" 1 "$(wc -l <"$f")" scrapes
    for q in 0.5 0.95 1; do record "$scale" "scrape_${phase}_ms_q$q" 1 "$(quantile "$q" <"$f")" ms; done
    log "scale $scale: /metrics $phase: $(wc -l <"$f") scrapes, median $(quantile 0.5 <"$f") ms, p95 $(quantile 0.95 <"$f") ms, max $(quantile 1 <"$f") ms"
  done

  if [ "$scale" = "$last" ]; then
    # Idle CPU with a scrape every 15 s, as Prometheus's default interval.
    ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
    c0=$(ticks)
    for ((s = 0; s < idle; s += 15)); do
      scrape_ms "$url" >/dev/null
      sleep $((idle - s < 15 ? idle - s : 15))
    done
    cpu=$(awk -v a="$c0" -v b="$(ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz }')
    record "$scale" idle_cpu_with_scrapes_s "$idle" "$cpu" "s per ${idle}s"
    log "scale $scale: idle CPU with a scrape every 15 s: ${cpu}s over ${idle}s"
  fi
  kill -TERM "$daemon"
  wait "$daemon" || true
  daemon=""

  # The segment report of these results (segmentd report: connect, read
  # the report views under the refresh lock, render, write).
  for r in 1 2 3; do
    t0=$(date +%s.%N)
    "$bin" --config "$out/obs.yaml" report "$out/report-$scale.html" >/dev/null 2>>"$out/cli.log"
    record "$scale" report_s "$r" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')" s
  done
  record "$scale" report_bytes 1 "$(stat -c %s "$out/report-$scale.html")" bytes
  log "scale $scale: report $(stat -c %s "$out/report-$scale.html") bytes"

  # History per refresh: first without retention, then with a pass after
  # each refresh (the daemon's own pass runs at start and daily).
  read -r rows bytes <<<"$(history_size)"
  record "$scale" history_rows 0 "$rows" rows
  record "$scale" history_bytes 0 "$bytes" bytes
  for ((r = 1; r <= 2 * refreshes; r++)); do
    "$bin" --config "$out/obs.yaml" refresh >/dev/null 2>>"$out/cli.log"
    phase=before
    if [ "$r" -gt "$refreshes" ]; then
      phase=after
      "$bin" --config "$out/obs.yaml" retention >"$out/retention-$scale-$r.txt" 2>>"$out/cli.log"
    fi
    read -r rows bytes <<<"$(history_size)"
    record "$scale" history_rows "$r" "$rows" rows
    record "$scale" history_bytes "$r" "$bytes" bytes
    record "$scale" history_phase "$r" "$phase" -
    log "scale $scale refresh $r ($phase retention): history $rows rows, $bytes bytes"
  done
done

summary=$out/summary.md
{
  sed 's/^/    /' "$out/machine.txt"
  echo
  echo "| scale | /metrics idle: scrapes, median, p95, max ms | /metrics during the drop: scrapes, median, p95, max ms |"
  echo "| --- | --- | --- |"
  for scale in $scales; do
    v() { awk -F'\t' -v s="$scale" -v k="$1" '$1 == s && $2 == k { print $4 }' "$results"; }
    echo "| $scale | $(v scrape_idle_count), $(v scrape_idle_ms_q0.5), $(v scrape_idle_ms_q0.95), $(v scrape_idle_ms_q1) | $(v scrape_busy_count), $(v scrape_busy_ms_q0.5), $(v scrape_busy_ms_q0.95), $(v scrape_busy_ms_q1) |"
  done
  echo
  for scale in $scales; do
    awk -F'\t' -v s="$scale" '$1 == s && $2 == "report_s" { t = t sep $4; sep = ", " } $1 == s && $2 == "report_bytes" { b = $4 }
      END { printf "segment report at %sx: %s s (three runs), %d bytes\n", s, t, b }' "$results"
  done
  awk -F'\t' '$2 == "idle_cpu_with_scrapes_s" { printf "daemon CPU while idle, a scrape every 15 s: %s s over %s s\n", $4, $3 }' "$results"
  echo
  echo "customer_segment_changes (the history) after each refresh (rows; MB of data and index):"
  echo
  echo "| scale | refresh | retention | rows | MB | MB added |"
  echo "| --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '$2 == "history_rows" { rows[$1 SUBSEP $3] = $4 } $2 == "history_bytes" { bytes[$1 SUBSEP $3] = $4; order[++n] = $1 SUBSEP $3 }
              $2 == "history_phase" { phase[$1 SUBSEP $3] = $4 }
              END { for (i = 1; i <= n; i++) { k = order[i]; split(k, p, SUBSEP); if (p[2] == 0) { prev = bytes[k]; continue }
                    printf "| %s | %s | %s | %d | %.1f | %.1f |\n", p[1], p[2], phase[k], rows[k], bytes[k] / 1048576, (bytes[k] - prev) / 1048576; prev = bytes[k] } }' "$results"
} >"$summary"
cat "$summary"
