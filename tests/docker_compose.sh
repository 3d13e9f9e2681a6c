#!/usr/bin/env bash
# docker-compose.yml is valid (`docker-compose config`). Exit 77 (skipped)
# where neither docker-compose nor the compose plugin is installed.
set -euo pipefail
cd "$1"
if command -v docker-compose >/dev/null; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "docker-compose not installed"
  exit 77
fi
"${compose[@]}" -f docker-compose.yml config -q
services=$("${compose[@]}" -f docker-compose.yml config --services | sort | tr '\n' ' ')
[ "$services" = "mysql segmentd " ] || { echo "FAIL: services are: $services"; exit 1; }
echo ok
