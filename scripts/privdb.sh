#!/usr/bin/env bash
# Starts, stops and describes a throwaway MariaDB/MySQL server that lives
# entirely inside one folder: its own datadir, socket, free localhost port and
# logs. Never touches a system server.
#
#   scripts/privdb.sh start DIR [DATABASE]   start (initialising DIR on first use)
#   scripts/privdb.sh stop DIR               stop and keep the data
#   scripts/privdb.sh destroy DIR            stop and delete DIR
#   scripts/privdb.sh env DIR                print shell variables for connecting
#   scripts/privdb.sh client DIR [ARGS...]   run the mysql client against it
#
# PRIVDB_EXTRA_ARGS with start: more server options, split on spaces (the
# replication settings of scripts/replica.sh).
# PRIVDB_TLS=1 with start: a throwaway CA, a server certificate for
# "localhost" (DNS name only, so 127.0.0.1 fails a host-name check), a
# client certificate and a second, unrelated CA are made in DIR/tls, and the
# server starts with them and require_secure_transport=ON (the socket still
# works: the server counts it as secure).
set -euo pipefail
scripts=$(cd "$(dirname "$0")" && pwd)

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
database=${3:-segmentd}

server_bin() {
  for b in mariadbd mysqld; do
    for p in "$(command -v $b 2>/dev/null)" /usr/sbin/$b /usr/libexec/$b; do
      [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return; }
    done
  done
  echo "privdb: no mariadbd or mysqld found; run scripts/install-deps.sh" >&2
  exit 1
}
client_bin() { command -v mariadb 2>/dev/null || command -v mysql; }
admin_bin() { command -v mariadb-admin 2>/dev/null || command -v mysqladmin; }

sock="$dir/mysqld.sock"
# A unix socket path must fit in 108 bytes; fall back to a short link in /tmp.
if [ ${#sock} -gt 100 ]; then
  short="/tmp/privdb-$(printf '%s' "$dir" | sha1sum | cut -c1-12)"
  mkdir -p "$short"
  sock="$short/mysqld.sock"
fi

is_running() {
  [ -f "$dir/mysqld.pid" ] && kill -0 "$(cat "$dir/mysqld.pid")" 2>/dev/null
}

make_certificates() {
  local t="$dir/tls"
  [ -f "$t/client.pem" ] && return
  mkdir -p "$t"
  (
    cd "$t"
    umask 077
    days=30
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=segmentd test CA" \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=an unrelated CA" \
      -keyout wrong-ca.key -out wrong-ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
      -extfile server.ext -out server.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=segmentd client" -keyout client.key -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
      -out client.pem 2>/dev/null
    rm -f ./*.csr
  )
}

print_env() {
  echo "PRIVDB_SOCKET=$sock"
  if [ -f "$dir/tls/client.pem" ]; then echo "PRIVDB_TLS_DIR=$dir/tls"; fi
  echo "PRIVDB_PORT=$(cat "$dir/port")"
  echo "PRIVDB_HOST=127.0.0.1"
  echo "PRIVDB_USER=root"
  echo "PRIVDB_DATABASE=$database"
}

start() {
  local server; server=$(server_bin)
  local runas; runas=$(id -un)
  if is_running; then print_env; return; fi
  # A private tmpdir, for the install's bootstrap server too: a server
  # deletes every #sql* file in its tmpdir when it starts, so two servers
  # sharing /tmp break each other's on-disk temporary tables (seen: a
  # benchmark's query failing when a test server started beside it, and an
  # install failing when another install started beside it).
  mkdir -p "$dir/tmp"
  if [ ! -d "$dir/data/mysql" ]; then
    mkdir -p "$dir/data"
    if [[ $(basename "$server") == mariadbd ]]; then
      mariadb-install-db --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" \
        --auth-root-authentication-method=normal --user="$runas" \
        --skip-test-db >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; exit 1; }
    else
      "$server" --no-defaults --initialize-insecure --datadir="$dir/data" \
        --tmpdir="$dir/tmp" --user="$runas" >"$dir/install.log" 2>&1 \
        || { cat "$dir/install.log" >&2; exit 1; }
    fi
  fi
  # The same port across restarts while it is free, so a client's config
  # (a TCP host list) still points at the server after a stop and start.
  if [ ! -f "$dir/port" ] || (exec 3<>/dev/tcp/127.0.0.1/"$(cat "$dir/port")") 2>/dev/null; then
    "$scripts/free-port.sh" >"$dir/port"
  fi
  # A port found free can be taken before the server binds it (another
  # test's server starting beside this one): a start that fails on the bind
  # tries again on a new port, up to five times.
  local try pid log_lines
  for try in 1 2 3 4 5; do
    log_lines=0
    [ -f "$dir/error.log" ] && log_lines=$(wc -l <"$dir/error.log")
    launch_server "$server" "$runas"
    pid=$!
    case $(wait_until_up "$pid" "$log_lines") in
      up)
        "$(client_bin)" --no-defaults --socket="$sock" -uroot \
          -e "CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        print_env | tee "$dir/connection.env"
        echo "# connect: $(client_bin) --socket=$sock -uroot $database" >&2
        return
        ;;
      port-taken)
        echo "privdb: port $(cat "$dir/port") was taken before the server bound it (try $try); choosing another" >&2
        "$scripts/free-port.sh" >"$dir/port"
        ;;
      *) break ;;
    esac
  done
  echo "privdb: server did not start; see $dir/error.log" >&2
  tail -20 "$dir/error.log" >&2 || true
  exit 1
}

# launch_server SERVER USER: the server in the background ($! is its pid).
launch_server() {
  local tls_args=()
  if [ "${PRIVDB_TLS:-0}" = 1 ]; then
    make_certificates
    tls_args=(--ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server.pem" --ssl-key="$dir/tls/server.key"
              --require-secure-transport=ON)
  fi
  # Pinned explicitly rather than trusting defaults, which differ between
  # MariaDB and MySQL.
  "$1" --no-defaults --datadir="$dir/data" --socket="$sock" \
    --port="$(cat "$dir/port")" --bind-address=127.0.0.1 --user="$2" \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --tmpdir="$dir/tmp" \
    --local-infile=1 --event-scheduler=ON \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --sql-mode=STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION \
    --innodb-buffer-pool-size=512M --innodb-log-file-size=256M \
    --innodb-flush-log-at-trx-commit=2 --skip-name-resolve \
    --max-connections=200 "${tls_args[@]}" ${PRIVDB_EXTRA_ARGS:-} >/dev/null 2>&1 &
}

# wait_until_up PID LOG-LINES: prints "up", "port-taken" (the server exited on its
# bind) or "failed".
wait_until_up() {
  for _ in $(seq 1 120); do
    if "$(admin_bin)" --no-defaults --socket="$sock" -uroot ping >/dev/null 2>&1; then echo up; return; fi
    if ! kill -0 "$1" 2>/dev/null; then
      if tail -n +"$(($2 + 1))" "$dir/error.log" | grep -qiE "address already in use|bind on tcp/ip port"; then echo port-taken; else echo failed; fi
      return
    fi
    sleep 0.5
  done
  echo failed
}

stop() {
  if is_running; then
    local pid; pid=$(cat "$dir/mysqld.pid")
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  destroy) stop; rm -rf "$dir" ;;
  env) print_env ;;
  client) shift 2; exec "$(client_bin)" --no-defaults --socket="$sock" -uroot --local-infile=1 "$@" ;;
  *) usage ;;
esac
