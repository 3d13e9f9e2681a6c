#!/usr/bin/env bash
# Starts and stops a throwaway primary with one asynchronous replica
# (MariaDB replication by GTID) on this machine, each a private server of
# scripts/privdb.sh in its own folder under DIR, on free localhost ports.
#
#   scripts/replica.sh start DIR     primary DIR/primary, replica DIR/replica
#   scripts/replica.sh promote DIR   the replica stops replicating and takes writes
#   scripts/replica.sh destroy DIR   stop both and delete DIR
#
# Both write binary logs (the replica too, so it can be promoted); the
# replica is read_only for ordinary accounts. Each folder has the
# connection.env of privdb.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
privdb=$root/scripts/privdb.sh
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
client() { "$privdb" client "$dir/$1" -N -B -e "$2"; }

case $cmd in
  start)
    PRIVDB_EXTRA_ARGS="--server-id=1 --log-bin=binlog --binlog-format=ROW --log-slave-updates --gtid-strict-mode=ON" \
      "$privdb" start "$dir/primary" >/dev/null
    PRIVDB_EXTRA_ARGS="--server-id=2 --log-bin=binlog --binlog-format=ROW --log-slave-updates --gtid-strict-mode=ON --read-only=ON" \
      "$privdb" start "$dir/replica" >/dev/null
    password="repl-$RANDOM$RANDOM"
    primary_port=$(. "$dir/primary/connection.env" && echo "$PRIVDB_PORT")
    client primary "CREATE USER IF NOT EXISTS 'repl'@'127.0.0.1' IDENTIFIED BY '$password';
                    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'"
    # The replica's own start wrote nothing worth keeping: it follows the
    # primary from its first transaction.
    client replica "STOP SLAVE; RESET MASTER; SET GLOBAL gtid_slave_pos = '';
                    CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $primary_port,
                      MASTER_USER = 'repl', MASTER_PASSWORD = '$password', MASTER_USE_GTID = slave_pos;
                    START SLAVE"
    for _ in $(seq 1 60); do
      running=$("$privdb" client "$dir/replica" -e "SHOW SLAVE STATUS\G" | grep -cE "Slave_(IO|SQL)_Running: Yes" || true)
      [ "$running" = 2 ] && exit 0
      sleep 0.5
    done
    echo "replica: replication did not start" >&2
    "$privdb" client "$dir/replica" -e "SHOW SLAVE STATUS\G" >&2 || true
    exit 1
    ;;
  promote)
    client replica "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = OFF"
    ;;
  destroy)
    for s in replica primary; do [ -d "$dir/$s" ] && "$privdb" destroy "$dir/$s" >/dev/null 2>&1 || true; done
    rm -rf "$dir"
    ;;
  *) usage ;;
esac
