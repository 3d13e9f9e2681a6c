#!/usr/bin/env bash
# Configures and builds segmentd into ./build (or $BUILD_DIR).
#
#   scripts/build.sh [TARGET...]
#
# With targets, builds only those (the demo builds the daemon and the data
# generator); without, everything, tests included. The demo and the tests
# share this one configuration (RelWithDebInfo, warnings as errors), so
# `scripts/test.sh` after `scripts/demo.sh` compiles only what the demo did
# not. SEGMENTD_CMAKE_ARGS adds configure options (split on spaces).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DSEGMENTD_WERROR=ON \
  ${SEGMENTD_CMAKE_ARGS:-} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
