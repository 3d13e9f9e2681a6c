# Shared by the Galera tests (sourced): a cluster folder ($dir, for
# scripts/galera.sh) and a scratch folder ($work), both removed at exit
# after the test's own stop_children (a test redefines it to kill what it
# started); and their helpers. Exits 77 (skipped) when galera-4 cannot be
# used here.
set -euo pipefail
src=${SEGMENTD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${SEGMENTD_BINARY:-$src/build/daemon/segmentd}
datagen=${SEGMENTD_DATAGEN:-$src/build/tools/segmentd-datagen}
. "$src/scripts/lib/harness.sh"
galera=$src/scripts/galera.sh
if ! "$galera" available; then
  echo "skip: galera-4, rsync, mariadbd or root is missing here"
  exit 77
fi
# Short: a socket path must fit in 108 bytes.
dir=$(mktemp -d /tmp/segmentd-galera.XXXXXX)
work=$(mktemp -d)
stop_children() { :; }
cleanup() {
  stop_children
  "$galera" destroy "$dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
on_fail() {
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $(basename "$f") (tail)" >&2; tail -n 20 "$f" >&2; }; done
  for n in 1 2 3; do echo "--- node $n log (tail)" >&2; tail -n 10 "$dir/n$n.err" >&2 || true; done
}
# sql N QUERY: on node N, in database seg, once every write the cluster has
# committed has arrived there (a causal read).
sql() { mariadb --socket="$dir/n$1.sock" -uroot -N -B seg -e "SET SESSION wsrep_sync_wait = 1; $2"; }
# The client port of node N.
port() { (. "$dir/node$1.env" && echo "$GALERA_PORT"); }
# socket_config NAME N: $work/NAME.yaml, root on node N's socket, database seg.
socket_config() { segmentd_config "$work/$1.yaml" "$dir/n$2.sock" seg "$work/inbox"; }
# wait_in NAME PATTERN SECONDS [COUNT]: in $work/NAME.log.
wait_in() { wait_log "$work/$1.log" "$2" "$3" "${4:-1}"; }
# wait_sql NODE QUERY EXPECTED SECONDS WHAT
wait_sql() { wait_query "$4" "$3" "$5" sql "$1" "$2"; }
drop() { drop_files "$work/inbox" "$@"; }
