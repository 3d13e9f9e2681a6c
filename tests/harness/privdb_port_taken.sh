#!/usr/bin/env bash
# scripts/privdb.sh when the port it chose is taken before the server binds
# it (another test's server starting beside it): the start tries again on a
# new port instead of failing. The port is held by a bound, not listening,
# socket, so the "is it free" probe still says free.
#
#   tests/harness/privdb_port_taken.sh SOURCE-DIR
set -euo pipefail
src=$1
. "$src/scripts/lib/harness.sh"
dir=$(mktemp -d /tmp/privdb-port.XXXXXX)
holder=""
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; "$src/scripts/privdb.sh" destroy "$dir" >/dev/null 2>&1 || true' EXIT
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(300)' >"$dir/held" &
holder=$!
wait_until 10 test -s "$dir/held" || fail "the port holder did not start"
held=$(cat "$dir/held")
! (exec 3<>/dev/tcp/127.0.0.1/"$held") 2>/dev/null || fail "the held port answers: the probe would skip it"
echo "$held" >"$dir/port"  # what privdb.sh keeps across restarts, so it tries this one first
"$src/scripts/privdb.sh" start "$dir" >"$dir/start.out" 2>"$dir/start.err" || {
  cat "$dir/start.err" >&2
  fail "privdb.sh start failed on a taken port"
}
grep -q "port $held was taken before the server bound it" "$dir/start.err" || fail "the retry was not reported: $(cat "$dir/start.err")"
port=$(. "$dir/connection.env" && echo "$PRIVDB_PORT")
[ "$port" != "$held" ] || fail "the server claims the held port $held"
[ "$("$src/scripts/privdb.sh" client "$dir" -N -B -h 127.0.0.1 -P "$port" --protocol=TCP -e 'SELECT @@port')" = "$port" ] ||
  fail "the server does not answer on its new port $port"
echo "ok: the start moved from taken port $held to $port"
