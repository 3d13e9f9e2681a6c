#!/usr/bin/env bash
# Forty idle connections, each re-opened as soon as the listener closes it
# (issue 39 item 10: 32 such connections once made /metrics and /livez
# unreachable for as long as the attacker wanted): /livez and /metrics keep
# answering, and an idle connection is closed within seconds.
. "$(dirname "$0")/lib.sh"
port=$(free_port)
write_config "observability:
  listen: 127.0.0.1:$port"
create_database
start_daemon
url="http://127.0.0.1:$port"

python3 - "$port" "$work/flood.state" <<'PY' &
import socket, sys, time
port, state = int(sys.argv[1]), sys.argv[2]
def opened():
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    return s
socks = [opened() for _ in range(40)]
closed_by_server = 0
deadline = time.time() + 40
while time.time() < deadline:
    for i, s in enumerate(socks):
        try:
            if s.recv(1) == b"":
                closed_by_server += 1
                s.close()
                socks[i] = opened()
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            socks[i] = opened()
    with open(state, "w") as f:
        f.write(str(closed_by_server))
    time.sleep(0.2)
PY
flood=$!
trap 'rc=$?; kill $flood 2>/dev/null || true; cleanup $rc' EXIT
sleep 2
for i in 1 2 3 4 5; do
  expect_eq "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$url/livez")" 200 "/livez under the flood ($i)"
  curl -sf --max-time 2 "$url/metrics" | grep -q "^segmentd_up 1$" || fail "/metrics under the flood ($i)"
  sleep 1
done
# Idle connections were closed by the daemon (after the request timeout or
# evicted), not kept for the attacker.
[ "$(cat "$work/flood.state")" -ge 40 ] || fail "idle connections the daemon closed: $(cat "$work/flood.state")"
kill $flood
stop_daemon
echo ok
