#!/usr/bin/env bash
# Ingest and refresh on a three-node MariaDB Galera cluster against a single
# server, on this machine, in the same run: the nine files at --scale
# loaded with `segmentd ingest` (one run), then --refreshes refreshes, on a
# private single server and on node 1 of a private cluster (scripts/galera.sh)
# with the same InnoDB settings (privdb.sh's). Exit 77 when galera-4 cannot
# be used here.
#
#   bench/cluster.sh [--scale 1] [--refreshes 3] [--out DIR] [--smoke]
#
# Writes DIR/results.tsv (server, measure, value, unit) and DIR/summary.md.
# Not a test: nothing here passes or fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 refreshes=3 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift 2 ;;
    --refreshes) refreshes=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) scale=0.01 refreshes=1; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
"$root/scripts/galera.sh" available || { echo "skip: galera-4 cannot be used here"; exit 77; }
bench_start cluster server measure value unit
# The cluster's folder holds sockets: a short path.
cluster=$(mktemp -d /tmp/segmentd-bench-galera.XXXXXX)
stop_children() { "$root/scripts/galera.sh" destroy "$cluster" >/dev/null 2>&1 || true; }
private_db "$out/db"

log "generating scale $scale"
"$datagen" --scale "$scale" --seed 7 --out "$out/data" >"$out/generated.tsv"

# run_on NAME SOCKET: migrate, ingest, refreshes, with the times recorded.
run_on() {
  local name=$1 socket=$2 t0 i
  cat >"$out/$name.yaml" <<YAML
database:
  socket: $socket
  user: root
  database: bench
inbox:
  path: $out/inbox
observability:
  listen: ""
YAML
  mariadb --no-defaults --socket="$socket" -uroot -e "DROP DATABASE IF EXISTS bench; CREATE DATABASE bench"
  "$bin" --config "$out/$name.yaml" migrate >"$out/$name-migrate.log" 2>&1
  log "$name: ingest"
  t0=$(date +%s.%N)
  "$bin" --config "$out/$name.yaml" ingest "$out/data"/*.csv >"$out/$name-ingest.log" 2>&1
  record "$name" ingest_seconds "$(seconds_since "$t0")" s
  for ((i = 1; i <= refreshes; i++)); do
    log "$name: refresh $i"
    t0=$(date +%s.%N)
    "$bin" --config "$out/$name.yaml" refresh >"$out/$name-refresh-$i.log" 2>&1
    record "$name" "refresh_${i}_seconds" "$(seconds_since "$t0")" s
  done
}

run_on single "$PRIVDB_SOCKET"
log "starting a three-node cluster"
# privdb.sh's InnoDB settings, so the difference is the cluster's.
GALERA_EXTRA_ARGS="--innodb-buffer-pool-size=512M --innodb-log-file-size=256M --innodb-flush-log-at-trx-commit=2" \
  "$root/scripts/galera.sh" start "$cluster"
run_on galera "$cluster/n1.sock"

value() { awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
{
  echo "# Single server against a three-node Galera cluster (scale $scale)"
  echo
  machine_header
  echo
  echo "| measure | single server | Galera, 3 nodes | cluster / single |"
  echo "|---|---|---|---|"
  for m in ingest_seconds $(seq -f 'refresh_%g_seconds' 1 "$refreshes"); do
    echo "| $m | $(value single "$m") s | $(value galera "$m") s | $(ratio "$(value single "$m")" "$(value galera "$m")") |"
  done
} >"$out/summary.md"
cat "$out/summary.md"
