# Shared by the bench scripts (sourced): their binaries and output folder,
# their private server, logging, the machine's description, a free port and
# waiting for a log line (scripts/lib/harness.sh). Expects $root.
. "$root/scripts/lib/harness.sh"
harness_poll_seconds=0.05

# bench_start NAME COLUMN...: $bin and $datagen (built first), the output
# folder $out (given, or bench/results/NAME-<UTC time>) made absolute, and
# $results (results.tsv) with its header row; record() appends a row.
bench_start() {
  local name=$1
  shift
  bin=${SEGMENTD_BINARY:-$root/build/daemon/segmentd}
  datagen=${SEGMENTD_DATAGEN:-$root/build/tools/segmentd-datagen}
  [ -x "$bin" ] && [ -x "$datagen" ] || { echo "build first: scripts/build.sh" >&2; exit 2; }
  out=${out:-$root/bench/results/$name-$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  results=$out/results.tsv
  (IFS=$'\t'; echo "$*") >"$results"
}
record() { (IFS=$'\t'; echo "$*") >>"$results"; }

# bench_pool MB: the private server's buffer pool, for a script's --pool
# (privdb.sh's default is 512 MB). Call it before private_db.
bench_pool() {
  [[ $1 =~ ^[0-9]+$ ]] || { echo "--pool takes megabytes, not $1" >&2; exit 2; }
  export PRIVDB_EXTRA_ARGS="${PRIVDB_EXTRA_ARGS:-} --innodb-buffer-pool-size=${1}M"
}

# private_db DIR: starts a private server in DIR, destroyed when the script
# exits after the script's own stop_children (define it before, to kill the
# daemons it started); client() talks to it.
private_db() {
  db=$1
  "$root/scripts/privdb.sh" start "$db" >/dev/null
  trap 'stop_children; "$root/scripts/privdb.sh" destroy "$db" >/dev/null 2>&1 || true' EXIT
  # shellcheck disable=SC1091
  . "$db/connection.env"
}
client() { "$root/scripts/privdb.sh" client "$db" "$@"; }

# loaded_database NAME SCALE: segmentd-datagen's Olist-like data at SCALE
# (seed 1) in $out/data, loaded with `segmentd ingest` into a new database
# NAME whose config is $out/bench.yaml; the prediction gate is lowered so
# that a smoke scale predicts too.
loaded_database() {
  local name=$1 scale=$2
  "$datagen" --scale "$scale" --seed 1 --out "$out/data" >/dev/null
  client -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name"
  cat >"$out/bench.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: $name
inbox:
  path: $out/inbox
observability:
  listen: ""
predictions:
  min_customers: 10
  min_repeat_customers: 5
  min_history_days: 30
YAML
  "$bin" --config "$out/bench.yaml" migrate >/dev/null
  "$bin" --config "$out/bench.yaml" ingest "$out/data"/*.csv >/dev/null 2>>"$out/cli.log"
}

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# machine_header: what the figures were measured on.
machine_header() {
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM"
  echo "kernel: $(uname -r); os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "server: $(client -N -B -e 'SELECT VERSION()'), innodb_buffer_pool_size $(client -N -B -e 'SELECT @@innodb_buffer_pool_size DIV 1048576') MB"
  echo "segmentd: $("$bin" version)"
  echo "server speed: $(server_speed)"
}

# server_speed: two fixed workloads timed on the private server, one core
# each: hashing (CPU alone) and a window sort of 200 k rows (memory too, as
# the refresh's scoring). The same model of machine has run the same
# refresh at half the speed on another day (bench/reference/2026-12-07/NOTES.md
# "The machine on 2026-12-07 (00:30–01:00 UTC): the same refresh at half the
# speed"; part of that was the code's: BENCHMARKS.md "The full refresh since
# 2026-12-02, side by side"); these say which kind of day a run had. MariaDB's sequence
# tables: elsewhere "not measured".
server_speed() {
  local t hash sort
  t=$(date +%s.%N)
  client -N -B -e "SELECT BENCHMARK(1000000, MD5('segmentd'))" >/dev/null 2>&1 || { echo "not measured"; return; }
  hash=$(seconds_since "$t")
  t=$(date +%s.%N)
  client -N -B mysql -e "SET SESSION sort_buffer_size = 67108864;
    SELECT MAX(r) FROM (SELECT ROW_NUMBER() OVER (ORDER BY MD5(seq)) AS r FROM seq_1_to_200000) AS t" \
    >/dev/null 2>&1 || { echo "not measured"; return; }
  sort=$(seconds_since "$t")
  echo "1 M MD5 in $hash s, a window sort of 200 k rows in $sort s"
}

