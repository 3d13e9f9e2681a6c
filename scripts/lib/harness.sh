# The one shell library of segmentd's scripts (sourced): the daemon, Galera
# and replica tests, the benchmarks and the demo. Each of them used to carry
# its own copy of these.
#
#   fail MESSAGE...                 FAIL: MESSAGE, then on_fail (the caller's
#                                   hook: the logs worth showing), exit 1
#   expect_eq ACTUAL EXPECTED WHAT  fail unless equal
#   wait_log FILE PATTERN SECONDS [COUNT [PID]]
#                                   until PATTERN (grep -E) is in FILE COUNT
#                                   times; fails early when PID has exited
#   wait_until SECONDS COMMAND...   until COMMAND succeeds; status 1 on timeout
#   wait_query SECONDS EXPECTED WHAT COMMAND...
#                                   until COMMAND prints EXPECTED, else fail
#   drop_files INBOX FILE...        each FILE copied beside INBOX as a hidden
#                                   .part, then all renamed in (a producer's
#                                   atomic drop)
#   segmentd_config FILE SOCKET DATABASE INBOX [EXTRA-YAML]
#                                   a config on a unix socket, root, no listener
#                                   unless EXTRA-YAML configures observability
#   free_port                       a localhost TCP port nothing listens on
#   seconds_since T0                wall seconds since a `date +%s.%N` reading
#
# Expects nothing but bash; scripts/ is found from this file.
harness_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

on_fail() { :; }
# How often the waits look; the benchmarks look more often (their figures
# include the wait's last sleep).
harness_poll_seconds=${harness_poll_seconds:-0.1}

fail() {
  echo "FAIL: $*" >&2
  on_fail || true
  exit 1
}

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

wait_log() {
  local file=$1 pattern=$2 seconds=$3 count=${4:-1} pid=${5:-} deadline=$((SECONDS + $3))
  while [ "$SECONDS" -le "$deadline" ]; do
    if [ "$(grep -cE "$pattern" "$file" 2>/dev/null || true)" -ge "$count" ]; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      fail "the process ($pid) exited while waiting in $(basename "$file") for: $pattern"
    fi
    sleep "$harness_poll_seconds"
  done
  fail "timed out after ${seconds}s waiting in $(basename "$file") for $count x: $pattern"
}

wait_until() {
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

wait_query() {
  local seconds=$1 expected=$2 what=$3 i
  shift 3
  for ((i = 0; i < seconds * 10; i++)); do
    [ "$("$@" 2>/dev/null)" = "$expected" ] && return 0
    sleep 0.1
  done
  fail "$what: expected '$expected', got '$("$@" 2>&1)' after $seconds s"
}

drop_files() {
  local inbox=$1 f
  shift
  for f in "$@"; do cp "$f" "$inbox/.$(basename "$f").part"; done
  for f in "$@"; do mv "$inbox/.$(basename "$f").part" "$inbox/$(basename "$f")"; done
}

segmentd_config() {
  local file=$1 socket=$2 database=$3 inbox=$4 extra=${5:-}
  cat >"$file" <<YAML
database:
  socket: $socket
  user: root
  database: $database
inbox:
  path: $inbox
$extra
YAML
  # Scripts run side by side: no listener on the fixed default port.
  if ! grep -q "^observability:" <<<"$extra"; then
    printf 'observability:\n  listen: ""\n' >>"$file"
  fi
}

free_port() { "$harness_scripts/free-port.sh" || fail "no free port"; }

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
