#!/usr/bin/env bash
# Prints a localhost TCP port that nothing listens on, for the throwaway
# servers of privdb.sh, galera.sh, the daemon tests and the benchmarks.
#
#   scripts/free-port.sh [TAKEN-FILE]
#
# TAKEN-FILE: ports already handed out but not bound yet, one "name=port"
# per line (galera.sh chooses all of a cluster's ports before any node
# binds them); none of them is printed.
#
# The port is below the kernel's ephemeral range (32768-60999 by default):
# an outgoing connection can take a port there between this choice and the
# server binding it.
set -euo pipefail
taken=${1:-/dev/null}
for _ in $(seq 1 200); do
  p=$((20000 + RANDOM % 12000))
  if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && ! grep -qs "=$p\$" "$taken"; then
    echo "$p"
    exit 0
  fi
done
echo "free-port: no free port found in 20000-31999" >&2
exit 1
