#!/usr/bin/env bash
# A record of what was run on 2026-12-07 (paths of that session); not a maintained benchmark.
# A/B: the same 10x data, full refresh with a 512 MB pool, then with a 12 GB pool.
set -euo pipefail
root=/work/bench/tree; d=/work/bench/ab/db; out=/work/bench/ab
bin=$root/build/daemon/segmentd
"$root/scripts/privdb.sh" destroy "$d" >/dev/null 2>&1 || true
"$root/scripts/privdb.sh" start "$d" >/dev/null
. "$d/connection.env"
cat >"$out/ab.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: ab
inbox:
  path: $out/inbox
observability:
  listen: ""
YAML
"$root/scripts/privdb.sh" client "$d" -e "CREATE DATABASE IF NOT EXISTS ab"
"$bin" --config "$out/ab.yaml" migrate >/dev/null 2>&1
t=$(date +%s.%N); "$bin" --config "$out/ab.yaml" ingest /work/bench/d10p12/base/*.csv >/dev/null 2>>"$out/cli.log"
echo "ingest $(echo "$(date +%s.%N) - $t" | bc)"
full() {
  t=$(date +%s.%N); "$bin" --config "$out/ab.yaml" refresh --full >/dev/null 2>>"$out/cli.log"
  echo "$1 full $(echo "$(date +%s.%N) - $t" | bc) $("$root/scripts/privdb.sh" client "$d" -N -B ab -e "SELECT CAST(step_timings AS CHAR) FROM pipeline_runs WHERE kind='refresh' ORDER BY run_id DESC LIMIT 1")"
}
for i in 1 2 3; do full pool512; done
"$root/scripts/privdb.sh" stop "$d" >/dev/null
PRIVDB_EXTRA_ARGS="--innodb-buffer-pool-size=12288M" "$root/scripts/privdb.sh" start "$d" >/dev/null
"$root/scripts/privdb.sh" client "$d" -N -e "SELECT @@innodb_buffer_pool_size>>20"
for i in 1 2 3; do full pool12g; done
"$root/scripts/privdb.sh" stop "$d" >/dev/null
PRIVDB_EXTRA_ARGS="" "$root/scripts/privdb.sh" start "$d" >/dev/null
"$root/scripts/privdb.sh" client "$d" -N -e "SELECT @@innodb_buffer_pool_size>>20"
for i in 1 2; do full pool512b; done
"$root/scripts/privdb.sh" destroy "$d" >/dev/null
