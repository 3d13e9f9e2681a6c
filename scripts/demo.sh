#!/usr/bin/env bash
# The demo: on a private database this script starts, generate an Olist-shaped
# dataset, create the schema, ingest the files, refresh the segments and show
# the segment summary and the run history.
#
#   scripts/demo.sh [--scale S] [--keep]
#   --scale S   dataset size, 1 = about 99,441 orders (default 1)
#   --keep      leave the private server running afterwards
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
scale=1 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
bin="$root/build/daemon/segmentd"
state="$root/.devdb/demo"
# Each demo starts from nothing: a new server, new data.
"$root/scripts/privdb.sh" destroy "$state/db" >/dev/null 2>&1 || true
rm -rf "$state/data"
mkdir -p "$state"

echo "== starting a private database under $state"
"$root/scripts/privdb.sh" start "$state/db" segmentd >/dev/null
[ $keep = 1 ] || trap '"$root/scripts/privdb.sh" stop "$state/db"' EXIT
# shellcheck disable=SC1091
. "$state/db/connection.env"
cat >"$state/segmentd.yaml" <<YAML
database:
  socket: $PRIVDB_SOCKET
  user: root
  database: segmentd
YAML

echo "== generating data (scale $scale)"
"$root/build/tools/segmentd-datagen" --scale "$scale" --out "$state/data"

echo "== segmentd migrate"
"$bin" --config "$state/segmentd.yaml" migrate

echo "== segmentd ingest (the nine files; content loaded before is recognised as duplicate)"
"$bin" --config "$state/segmentd.yaml" ingest "$state/data"/*.csv

echo "== segmentd refresh"
"$bin" --config "$state/segmentd.yaml" refresh

echo "== segment summary (vw_segment_summary)"
"$root/scripts/privdb.sh" client "$state/db" segmentd --table -e \
  "SELECT * FROM vw_segment_summary ORDER BY avg_recency_days"

echo "== segmentd history"
"$bin" --config "$state/segmentd.yaml" history --limit 5
if [ $keep = 1 ]; then
  echo "== the database keeps running: $root/scripts/privdb.sh client $state/db segmentd"
fi
