#!/usr/bin/env bash
# Starts and stops a throwaway three-node MariaDB Galera Cluster on this
# machine: every node in a folder of its own under DIR, on free localhost
# ports, never touching a system server.
#
#   scripts/galera.sh available      exit 0 when galera-4 and rsync are here
#   scripts/galera.sh start DIR      start nodes 1-3 (node 1 bootstraps)
#   scripts/galera.sh destroy DIR    stop them and delete DIR
#
# start writes DIR/nodeN.env (GALERA_SOCKET, GALERA_PORT) for each node;
# GALERA_EXTRA_ARGS adds server options to every node (split on spaces).
# The nodes run as the unprivileged user `nobody`: rsync state transfer
# fails when they run as root (its daemon drops to nobody). Joiners start
# from an empty datadir and receive node 1's by state transfer. DIR should
# be short (a socket path must fit in 108 bytes).
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)

provider=/usr/lib/galera/libgalera_smm.so
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 1 ] || usage
cmd=$1

available() { [ "$(id -u)" = 0 ] && [ -r "$provider" ] && command -v rsync >/dev/null && command -v mariadbd >/dev/null && id nobody >/dev/null 2>&1; }


# Ports for node N: mysql, group communication, incremental and full
# state transfer, chosen before any node starts (each node needs the
# others' group-communication ports).
pick_ports() {
  local n kind
  : >"$dir/ports"
  for n in 1 2 3; do
    for kind in mysql gmcast ist sst; do echo "${kind}$n=$("$scripts/free-port.sh" "$dir/ports")" >>"$dir/ports"; done
  done
}
port_of() { sed -n "s/^$1=//p" "$dir/ports"; }

start_node() {  # start_node N [extra mariadbd options]
  local n=$1 cluster
  shift
  cluster="127.0.0.1:$(port_of gmcast1),127.0.0.1:$(port_of gmcast2),127.0.0.1:$(port_of gmcast3)"
  printf 'GALERA_SOCKET=%s\nGALERA_PORT=%s\n' "$dir/n$n.sock" "$(port_of mysql$n)" >"$dir/node$n.env"
  runuser -u nobody -- mariadbd --no-defaults --datadir="$dir/n$n" --socket="$dir/n$n.sock" \
    --port="$(port_of mysql$n)" --bind-address=127.0.0.1 --pid-file="$dir/n$n.pid" --log-error="$dir/n$n.err" \
    --innodb-buffer-pool-size=128M --local-infile=1 --event-scheduler=ON \
    --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=segmentd-test \
    --wsrep-cluster-address="gcomm://$cluster" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(port_of gmcast$n);ist.recv_addr=127.0.0.1:$(port_of ist$n)" \
    --wsrep-sst-receive-address="127.0.0.1:$(port_of sst$n)" --wsrep-node-address=127.0.0.1 \
    --wsrep-node-name="node$n" --wsrep-sst-method=rsync \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 ${GALERA_EXTRA_ARGS:-} "$@" >/dev/null 2>&1 &
  node_pid=$!
}

# repick_ports N: new ports for node N, after one was taken between the
# choice and the bind. Nodes started before keep theirs; a joiner reaches
# the cluster through any node of the address list.
repick_ports() {
  local n=$1 kind others
  others=$(grep -vE "^(mysql|gmcast|ist|sst)$n=" "$dir/ports")
  printf '%s\n' "$others" >"$dir/ports"
  for kind in mysql gmcast ist sst; do echo "${kind}$n=$("$scripts/free-port.sh" "$dir/ports")" >>"$dir/ports"; done
}

# launch_node N SECONDS [extra mariadbd options]: start node N and wait
# until it is Synced; a node that exits on a port taken since pick_ports
# starts again on new ports, up to five times.
launch_node() {
  local n=$1 seconds=$2 try lines
  shift 2
  for try in 1 2 3 4 5; do
    lines=0
    [ -f "$dir/n$n.err" ] && lines=$(wc -l <"$dir/n$n.err")
    start_node "$n" "$@"
    if wait_synced "$n" "$seconds" "$node_pid"; then return 0; fi
    if ! kill -0 "$node_pid" 2>/dev/null &&
      tail -n +"$((lines + 1))" "$dir/n$n.err" 2>/dev/null | grep -qiE "address already in use|bind on tcp/ip port"; then
      echo "galera: a port of node $n was taken before it bound it (try $try); choosing others" >&2
      repick_ports "$n"
      continue
    fi
    report_not_synced "$n"
  done
  report_not_synced "$n"
}

wait_synced() {  # wait_synced N SECONDS PID: 1 when not Synced in time or PID exited
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    kill -0 "$3" 2>/dev/null || return 1
    if [ "$(mariadb --socket="$dir/n$1.sock" -uroot -N -B -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null |
      cut -f2)" = Synced ]; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

report_not_synced() {  # report_not_synced N: what the logs say, then exit 1
  echo "galera: node $1 did not reach Synced; its log: $dir/n$1.err" >&2
  tail -n 40 "$dir/n$1.err" >&2 || true
  # A joiner stuck in state transfer: the donor's side and rsync's own
  # logs say why, and the directory is deleted when the test ends.
  echo "galera: node 1 (the donor), the end of its log:" >&2
  tail -n 20 "$dir/n1.err" >&2 || true
  find "$dir" -maxdepth 3 -type f \( -name 'rsync*.log' -o -name '*sst*.log' \) 2>/dev/null | while read -r f; do
    echo "galera: $f:" >&2
    tail -n 20 "$f" >&2 || true
  done
  # Who holds the chosen ports (an outgoing connection would show here).
  ss -tanp 2>/dev/null | grep -E ":($(sed 's/.*=//' "$dir/ports" | paste -sd'|'))\b" >&2 || true
  exit 1
}

case $cmd in
  available) available ;;
  start)
    [ $# -ge 2 ] || usage
    available || { echo "galera: galera-4, rsync or mariadbd missing (scripts/install-deps.sh)" >&2; exit 1; }
    dir=$(mkdir -p "$2" && cd "$2" && pwd)
    for n in 1 2 3; do mkdir -p "$dir/n$n"; done
    pick_ports
    chown -R nobody:nogroup "$dir"
    runuser -u nobody -- mariadb-install-db --no-defaults --datadir="$dir/n1" \
      --auth-root-authentication-method=normal >"$dir/install.log" 2>&1
    launch_node 1 60 --wsrep-new-cluster
    launch_node 2 120
    launch_node 3 120
    ;;
  destroy)
    [ $# -ge 2 ] || usage
    dir=$(cd "$2" 2>/dev/null && pwd) || exit 0
    for n in 3 2 1; do
      if [ -f "$dir/n$n.pid" ]; then kill -TERM "$(cat "$dir/n$n.pid")" 2>/dev/null || true; fi
    done
    for _ in $(seq 1 60); do
      pgrep -f -- "--datadir=$dir/n" >/dev/null || break
      sleep 0.5
    done
    pkill -KILL -f -- "--datadir=$dir/n" 2>/dev/null || true
    rm -rf "$dir"
    exit 0
    ;;
  *) usage ;;
esac
