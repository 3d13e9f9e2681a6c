#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors,
# and runs every test. ctest starts a private MariaDB/MySQL server under the
# build tree for the database tests and stops it afterwards; no system
# database is touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
BUILD_DIR=${BUILD_DIR:-$root/build} "$root/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
# A server left behind by an interrupted run would hold the datadir.
"$root/scripts/privdb.sh" stop "$PWD/testdb" >/dev/null 2>&1 || true
ctest --output-on-failure -j"$(nproc)" "$@"
