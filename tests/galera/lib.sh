# Shared by the Galera tests (sourced): a cluster folder ($dir, for
# scripts/galera.sh) and a scratch folder ($work), both removed at exit
# after the test's own stop_children (a test redefines it to kill what it
# started); and their helpers. Exits 77 (skipped) when galera-4 cannot be
# used here.
set -euo pipefail
src=${SEGMENTD_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${SEGMENTD_BINARY:-$src/build/daemon/segmentd}
datagen=${SEGMENTD_DATAGEN:-$src/build/tools/segmentd-datagen}
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
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $(basename "$f") (tail)" >&2; tail -n 20 "$f" >&2; }; done
  for n in 1 2 3; do echo "--- node $n log (tail)" >&2; tail -n 10 "$dir/n$n.err" >&2 || true; done
  exit 1
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
# sql N QUERY: on node N, in database seg, once every write the cluster has
# committed has arrived there (a causal read).
sql() { mariadb --socket="$dir/n$1.sock" -uroot -N -B seg -e "SET SESSION wsrep_sync_wait = 1; $2"; }
# The client port of node N.
port() { (. "$dir/node$1.env" && echo "$GALERA_PORT"); }
# socket_config NAME N: $work/NAME.yaml, root on node N's socket, database seg.
socket_config() {
  cat >"$work/$1.yaml" <<YAML
database:
  socket: $dir/n$2.sock
  user: root
  database: seg
inbox:
  path: $work/inbox
observability:
  listen: ""
YAML
}
