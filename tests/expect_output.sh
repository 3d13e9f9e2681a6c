#!/usr/bin/env bash
# Runs a command and passes only when it exits 0 AND its output (stdout and
# stderr, newlines read as any character) matches REGEX (grep -E). ctest's
# PASS_REGULAR_EXPRESSION alone ignores the exit status: a benchmark that
# printed its table and then failed would pass.
#
#   tests/expect_output.sh REGEX COMMAND [ARGS...]
set -uo pipefail
[ $# -ge 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
regex=$1
shift
output=$(mktemp)
trap 'rm -f "$output"' EXIT
"$@" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
# 77 is ctest's skip for a missing tool: passed through as it is.
if [ "$status" != 0 ]; then
  echo "expect_output: the command exited with $status" >&2
  exit "$status"
fi
if ! tr '\n' '\001' <"$output" | grep -qE -- "$regex"; then
  echo "expect_output: the output does not match: $regex" >&2
  exit 1
fi
