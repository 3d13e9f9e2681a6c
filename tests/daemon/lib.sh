# Shared helpers for the whole-binary daemon tests. Each test gets its own
# database on the ctest private server (or its own server when it needs to
# stop one), its own folder, and a running `segmentd run` it can signal.
#
# Environment (set by ctest): SEGMENTD_BINARY, SEGMENTD_DATAGEN,
# SEGMENTD_SOURCE_DIR, SEGMENTD_TEST_DB_DIR, SEGMENTD_TEST_WORK.
set -euo pipefail
. "$SEGMENTD_SOURCE_DIR/scripts/lib/harness.sh"

bin=$SEGMENTD_BINARY
test_bin=$SEGMENTD_TEST_BINARY
src=$SEGMENTD_SOURCE_DIR
name=$(basename "$0" .sh)
work=$SEGMENTD_TEST_WORK/$name
rm -rf "$work"
mkdir -p "$work/inbox"
db_dir=$SEGMENTD_TEST_DB_DIR
database="d_${name//-/_}_$$"
daemon_pid=""
own_server=""

on_fail() {
  [ -f "$work/daemon.log" ] && { echo "--- daemon log" >&2; tail -n 60 "$work/daemon.log" >&2; }
}

# cleanup [STATUS]: a test's own EXIT trap passes the status it saw, since
# under `set -e` anything that fails in a trap before this would end the
# shell without cleaning up (and leave a daemon taking the next run's files).
cleanup() {
  local rc=${1:-$?}
  set +e
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill -KILL "$daemon_pid" 2>/dev/null || true; fi
  # Any other daemon of this test's config (one whose pid was replaced):
  # left running, it would take the next run's files.
  pkill -KILL -f -- "--config $work/segmentd.yaml" 2>/dev/null || true
  if [ -n "$own_server" ]; then
    "$src/scripts/privdb.sh" destroy "$own_server" >/dev/null 2>&1 || true
  else
    sql_root "DROP DATABASE IF EXISTS \`$database\`" >/dev/null 2>&1 || true
  fi
  exit $rc
}
trap cleanup EXIT

sql_root() { "$src/scripts/privdb.sh" client "$db_dir" -N -B -e "$1"; }
# One value (or rows, tab-separated) from the test database.
sql() { "$src/scripts/privdb.sh" client "$db_dir" -N -B "$database" -e "$1"; }

# Use a private server of our own (for tests that stop it).
use_own_server() {
  own_server=$work/db
  "$src/scripts/privdb.sh" start "$own_server" >/dev/null
  db_dir=$own_server
}

# write_config [extra YAML appended]; $debounce (default 3) sets
# refresh.debounce_seconds.
write_config() {
  # shellcheck disable=SC1091
  . "$db_dir/connection.env"
  cat >"$work/segmentd.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: $database
  reconnect_initial_seconds: 1
  reconnect_max_seconds: 2
inbox:
  path: $work/inbox
  settle_seconds: 1
  rescan_seconds: 2
refresh:
  debounce_seconds: ${debounce:-3}
${1:-}
YAML
  # Tests run side by side: no listener on the fixed default port unless the
  # test configures its own.
  if ! grep -q "^observability:" <<<"${1:-}"; then
    printf 'observability:\n  listen: ""\n' >>"$work/segmentd.yaml"
  fi
}

create_database() {
  sql_root "CREATE DATABASE \`$database\`"
  "$bin" --config "$work/segmentd.yaml" migrate >/dev/null
}

# start_daemon [extra segmentd options, e.g. -v]; $daemon_bin (default
# $bin) is the binary: $test_bin is segmentd with the test hooks
# (tests/hooks/), e.g. SEGMENTD_TEST_REFRESH_SLEEP=N holds each refresh N s.
start_daemon() {
  # Ready means this start's daemon.ready, not an earlier run's in the log.
  local before
  before=$(grep -c "daemon.ready" "$work/daemon.log" 2>/dev/null || true)
  "${daemon_bin:-$bin}" --config "$work/segmentd.yaml" "$@" run >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  wait_for_log "daemon.ready" 30 $((${before:-0} + 1))
}

# wait_for_log PATTERN SECONDS [COUNT]: until PATTERN (grep -E) appears COUNT times.
wait_for_log() { wait_log "$work/daemon.log" "$1" "$2" "${3:-1}" "$daemon_pid"; }

# stop_daemon: SIGTERM, then require exit code 0 within 60 s.
stop_daemon() {
  kill -TERM "$daemon_pid"
  local rc=0
  wait "$daemon_pid" || rc=$?
  daemon_pid=""
  [ "$rc" = 0 ] || fail "daemon exited with $rc after SIGTERM"
}

# drop FILE...: into this test's inbox, atomically (harness.sh drop_files).
drop() { drop_files "$work/inbox" "$@"; }

generate_data() {  # generate_data SCALE DIR
  mkdir -p "$2"
  "$SEGMENTD_DATAGEN" --scale "$1" --seed 7 --out "$2" >"$work/generated-counts.tsv"
}
generated_rows() {  # generated_rows FILE-NAME: data rows datagen wrote
  awk -F'\t' -v f="$1" '$1 ~ f {print $2}' "$work/generated-counts.tsv"
}

# least_privilege_account USER PASSWORD: creates USER with exactly
# doc/CONFIGURATION.md's grants on this test's database (read from that
# document, so the two cannot drift) and rewrites the config to use it.
least_privilege_account() {
  local user=$1 password=$2 grants
  grants=$(awk '/^Least privilege for the daemon/ {found=1} found && /^```sql/ {inside=1; next}
                inside && /^```/ {exit} inside {print}' "$src/doc/CONFIGURATION.md")
  [ -n "$grants" ] || fail "no grant block found in doc/CONFIGURATION.md"
  grep -q "ON segmentd.\* TO 'segmentd'@'localhost'" <<<"$grants" ||
    fail "doc/CONFIGURATION.md grant block changed shape: $grants"
  grants=${grants//\'segmentd\'@\'localhost\'/\'$user\'@\'localhost\'}
  grants=${grants//ON segmentd.\*/ON \`$database\`.*}
  grants=${grants//IDENTIFIED BY \'...\'/IDENTIFIED BY \'$password\'}
  sql_root "$grants"
  export SEGMENTD_LP_PASSWORD=$password
  sed -i "s/^  user: root$/  user: $user\n  password_env: SEGMENTD_LP_PASSWORD/" "$work/segmentd.yaml"
  grep -q "password_env: SEGMENTD_LP_PASSWORD" "$work/segmentd.yaml" || fail "config not rewritten"
}
