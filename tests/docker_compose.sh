#!/usr/bin/env bash
# docker-compose.yml is valid (`docker-compose config`, which needs no Docker
# engine), has the two services, and refuses to start without the two
# passwords, naming the missing one. Exit 77 (skipped) where no compose tool
# is installed; scripts/install-deps.sh installs Debian's docker-compose.
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
export MYSQL_ROOT_PASSWORD=root-example SEGMENTD_DB_PASSWORD=segmentd-example
"${compose[@]}" -f docker-compose.yml config -q
services=$("${compose[@]}" -f docker-compose.yml config --services | sort | tr '\n' ' ')
[ "$services" = "mysql segmentd " ] || { echo "FAIL: services are: $services"; exit 1; }
# The rendered file carries the password to both services.
rendered=$("${compose[@]}" -f docker-compose.yml config)
[ "$(grep -c "segmentd-example" <<<"$rendered")" -ge 2 ] || { echo "FAIL: password not passed to both services"; exit 1; }
for var in MYSQL_ROOT_PASSWORD SEGMENTD_DB_PASSWORD; do
  if out=$(env -u "$var" "${compose[@]}" -f docker-compose.yml config -q 2>&1); then
    echo "FAIL: config accepted without $var"
    exit 1
  fi
  grep -q "set $var" <<<"$out" || { echo "FAIL: the error does not name $var: $out"; exit 1; }
done
echo ok
