#!/usr/bin/env bash
# The demo: on a private database this script starts, run the real daemon
# (`segmentd run`), drop a generated Olist-shaped dataset into its inbox,
# wait for the refresh that follows, show the segment summary, the exports and
# the run history, and stop the daemon cleanly.
#
#   scripts/demo.sh [--scale S] [--format F] [--keep]
#   --scale S   dataset size, 1 = about 99,441 orders (default 1)
#   --format F  olist (the nine files, default), or the same orders as one
#               platform's export: shopify, woocommerce, magento,
#               bigcommerce, stripe, paypal (doc/FEEDS.md)
#   --keep      leave the private server running afterwards
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 keep=0 format=olist
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" segmentd segmentd-datagen
bin="$root/build/daemon/segmentd"
state="$root/.devdb/demo"
# Each demo starts from nothing: a new server, new data.
"$root/scripts/privdb.sh" destroy "$state/db" >/dev/null 2>&1 || true
rm -rf "$state/data"
mkdir -p "$state"

echo "== starting a private database under $state"
"$root/scripts/privdb.sh" start "$state/db" segmentd >/dev/null
[ $keep = 1 ] || trap '"$root/scripts/privdb.sh" stop "$state/db"' EXIT  # until the daemon starts
# shellcheck disable=SC1091
. "$state/db/connection.env"
cat >"$state/segmentd.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: segmentd
inbox:
  path: $state/inbox
  settle_seconds: 1
refresh:
  debounce_seconds: 5
exports:
  dir: $state/exports
observability:
  listen: 127.0.0.1:0   # any free port; the log line observe.listening names it
currency:
  base: BRL             # the generated orders' currency; the exports' USD orders convert with rates.csv
YAML

echo "== generating data (scale $scale)"
"$root/build/tools/segmentd-datagen" --scale "$scale" --format "$format" --out "$state/data"

echo "== segmentd migrate"
"$bin" --config "$state/segmentd.yaml" migrate

echo "== segmentd run (log: $state/segmentd.log)"
rm -rf "$state/inbox" "$state/exports"
: >"$state/segmentd.log"
"$bin" --config "$state/segmentd.yaml" run 2>>"$state/segmentd.log" &
daemon=$!
stop_daemon() {
  if kill -0 "$daemon" 2>/dev/null; then
    kill -TERM "$daemon"
    wait "$daemon" || { echo "segmentd exited with $?" >&2; return 1; }
  fi
}
trap 'stop_daemon || true; [ $keep = 1 ] || "$root/scripts/privdb.sh" stop "$state/db"' EXIT

wait_for() {  # wait_for PATTERN SECONDS
  for _ in $(seq $(($2 * 10))); do
    grep -qE "$1" "$state/segmentd.log" && return 0
    kill -0 "$daemon" 2>/dev/null || { echo "segmentd exited; see $state/segmentd.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "timed out waiting for $1; see $state/segmentd.log" >&2
  exit 1
}
wait_for "daemon.ready" 60

echo "== dropping the $format files into the inbox (write to *.part, then rename)"
for f in "$state/data"/*.csv; do
  cp "$f" "$state/inbox/$(basename "$f").part"
  mv "$state/inbox/$(basename "$f").part" "$state/inbox/$(basename "$f")"
done
wait_for "refresh.finished trigger=file" 600
grep -E "inbox.file_processed|inbox.file_quarantined|refresh.finished|export.finished" "$state/segmentd.log" |
  sed 's/ message=.*//'

echo "== segment summary (vw_segment_summary)"
"$root/scripts/privdb.sh" client "$state/db" segmentd --table -e \
  "SELECT * FROM vw_segment_summary ORDER BY avg_recency_days"

echo "== exports in $state/exports"
wc -l "$state/exports"/*.csv

address=$(grep -o "observe.listening address=[^ ]*" "$state/segmentd.log" | head -1 | cut -d= -f2)
echo "== a few of the daemon's metrics (GET http://$address/metrics)"
if command -v curl >/dev/null; then
  curl -sf "http://$address/metrics" | grep -E '^segmentd_(runs_total|files_total|segment_customers)\{' |
    grep -v ' 0$' | head -20
fi

echo "== segmentd history"
"$bin" --config "$state/segmentd.yaml" history --limit 12

echo "== stopping segmentd (SIGTERM)"
stop_daemon
grep -E "daemon.stopped" "$state/segmentd.log"
if [ $keep = 1 ]; then
  echo "== the database keeps running: $root/scripts/privdb.sh client $state/db segmentd"
fi
