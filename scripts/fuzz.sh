#!/usr/bin/env bash
# Builds and runs segmentd's libFuzzer targets (clang, ASan + UBSan).
#
#   scripts/fuzz.sh TARGET SECONDS    fuzz one target for SECONDS
#   scripts/fuzz.sh replay [TARGET…]  run the kept corpus and crash inputs once
#   scripts/fuzz.sh list              the targets
#
# Targets are tests/fuzz/fuzz_<target>.cpp: csv, config, cron, escape, feed. A run
# starts from tests/fuzz/corpus/<target>/ and grows a working corpus under
# $FUZZ_DIR (build-fuzz/ by default); a crash input is written there and
# named on stderr. Keep it in tests/fuzz/crashes/<target>/ once fixed, so
# every later suite run replays it (see doc/DEVELOPING.md "Fuzzing").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_DIR:-$root/build-fuzz}
cxx=${FUZZ_CXX:-clang++}
targets=(csv config cron escape feed)

feeds_sources() {
  local d=$root/daemon
  echo "$d/feeds/feed_spec.cpp $d/feeds/feed_values.cpp $d/feeds/text_encoding.cpp $d/feeds/feed_rows.cpp" \
    "$d/util/sha256.cpp $d/util/text.cpp $d/util/private_file.cpp $d/util/durable_file.cpp $d/util/errors.cpp"
}

sources_of() {
  local d=$root/daemon
  case $1 in
    csv) echo "$d/ingest/csv_reader.cpp $d/ingest/datasets.cpp $d/ingest/field_validation.cpp $d/util/errors.cpp" ;;
    config) echo "$d/config/config.cpp $d/config/yaml_section.cpp $d/config/cron_schedule.cpp $d/config/feeds_config.cpp $(feeds_sources)" ;;
    cron) echo "$d/config/cron_schedule.cpp" ;;
    escape) echo "$d/util/text.cpp" ;;
    feed) feeds_sources ;;
    *) echo "scripts/fuzz.sh: unknown target '$1' (targets: ${targets[*]})" >&2; return 2 ;;
  esac
}

# Rebuilds $out/fuzz_<target> when it is older than any of its sources or
# any daemon header.
build() {
  local target=$1 sources bin=$out/fuzz_$target
  sources=$(sources_of "$target")
  mkdir -p "$out"
  local newest
  # No pipe into head: with pipefail, ls killed by SIGPIPE once head has
  # its line (the list outgrows one 4 KiB write) would end the script.
  # shellcheck disable=SC2086
  newest=$(ls -t "$root/tests/fuzz/fuzz_$target.cpp" $sources "$root"/daemon/*/*.h "$0")
  newest=${newest%%$'\n'*}
  if [[ -x $bin && $bin -nt $newest ]]; then return 0; fi
  echo "fuzz.build target=$target compiler=$cxx" >&2
  local includes=()
  for dir in "$root"/daemon/*/; do includes+=(-I "$dir"); done
  # shellcheck disable=SC2086
  "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DUSE_OS_TZDB=1 -DONLY_C_LOCALE=1 -DHAS_STRING_VIEW=1 "${includes[@]}" \
    "$root/tests/fuzz/fuzz_$target.cpp" $sources -lyaml-cpp -ldate-tz -lcrypto -lspdlog -lfmt -o "$bin.tmp"
  mv "$bin.tmp" "$bin"
}

replay() {
  local target dirs
  for target in "$@"; do
    build "$target"
    dirs=()
    for d in "$root/tests/fuzz/corpus/$target" "$root/tests/fuzz/crashes/$target"; do
      [[ -d $d ]] && dirs+=("$d")
    done
    # -runs=0 over directories runs each file once and stops at the first
    # crash, which fails this script.
    "$out/fuzz_$target" -runs=0 "${dirs[@]}" 2>"$out/replay_$target.log" ||
      { cat "$out/replay_$target.log" >&2; echo "fuzz.replay_failed target=$target" >&2; return 1; }
    echo "fuzz.replayed target=$target inputs=$(find "${dirs[@]}" -type f | wc -l)"
  done
}

case ${1:-} in
  list) printf '%s\n' "${targets[@]}" ;;
  replay)
    shift
    if (($# == 0)); then set -- "${targets[@]}"; fi
    replay "$@"
    ;;
  "" | -h | --help) sed -n '2,12p' "$0" ;;
  *)
    target=$1 seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
    sources_of "$target" >/dev/null
    build "$target"
    work=$out/corpus/$target
    mkdir -p "$work" "$out/artifacts/$target"
    cp -n "$root/tests/fuzz/corpus/$target"/* "$work"/ 2>/dev/null || true
    dict=()
    [[ -f $root/tests/fuzz/$target.dict ]] && dict=(-dict="$root/tests/fuzz/$target.dict")
    exec "$out/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$out/artifacts/$target/" "$work"
    ;;
esac
