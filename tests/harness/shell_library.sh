#!/usr/bin/env bash
# scripts/lib/harness.sh and tests/expect_output.sh do what the scripts rely
# on, including failing: each check runs the helper in a subshell and looks
# at its status and what it printed.
#
#   tests/harness/shell_library.sh SOURCE-DIR
set -uo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
problems=0
check() {  # check WHAT: the previous command's status was 0
  if [ "$1" != 0 ]; then echo "FAIL: $2" >&2; problems=$((problems + 1)); else echo "ok: $2"; fi
}
in_harness() { bash -c '. "$0/scripts/lib/harness.sh"; '"$1" "$src"; }

in_harness 'expect_eq a a same' ; check $? "expect_eq passes on equal values"
out=$(in_harness 'on_fail() { echo HOOK >&2; }; expect_eq a b "the value"' 2>&1)
[ $? = 1 ] && grep -q "FAIL: the value: expected 'b', got 'a'" <<<"$out" && grep -q HOOK <<<"$out"
check $? "expect_eq fails with status 1, names both values and runs on_fail"

echo "event.one" >"$work/log"
(sleep 0.3; echo "event.two x=1" >>"$work/log") &
in_harness "wait_log '$work/log' 'event.two x=[0-9]' 5"; check $? "wait_log sees a line written later"
wait
out=$(in_harness "wait_log '$work/log' 'never' 1" 2>&1)
[ $? = 1 ] && grep -q "timed out after 1s" <<<"$out"; check $? "wait_log fails on timeout"
out=$(in_harness "wait_log '$work/log' 'event' 2" 2>&1); check $? "wait_log counts matching lines"
out=$(in_harness "wait_log '$work/log' 'event' 1 3" 2>&1)
[ $? = 1 ]; check $? "wait_log fails when the count is not reached"
true & gone=$!; wait "$gone"  # a pid that has exited
out=$(in_harness "wait_log '$work/log' 'never' 30 1 $gone" 2>&1)
[ $? = 1 ] && grep -q "exited" <<<"$out"; check $? "wait_log fails at once when the process it watches has exited"

in_harness "wait_until 2 test -e '$work/log'"; check $? "wait_until returns on success"
in_harness "wait_until 1 false"; [ $? = 1 ]; check $? "wait_until returns 1 on timeout"
out=$(in_harness "wait_query 1 yes 'the answer' echo no" 2>&1)
[ $? = 1 ] && grep -q "the answer: expected 'yes', got 'no'" <<<"$out"; check $? "wait_query fails naming what it got"

mkdir -p "$work/inbox" "$work/data"
printf 'a,b\n1,2\n' >"$work/data/one.csv"
printf 'c\n3\n' >"$work/data/two.csv"
in_harness "drop_files '$work/inbox' '$work/data/one.csv' '$work/data/two.csv'"
[ "$(ls -A "$work/inbox" | sort | paste -sd,)" = "one.csv,two.csv" ] && cmp -s "$work/inbox/one.csv" "$work/data/one.csv"
check $? "drop_files leaves exactly the files, whole, and no .part"

in_harness "segmentd_config '$work/a.yaml' /tmp/s.sock seg '$work/inbox'"
grep -q '^  socket: /tmp/s.sock$' "$work/a.yaml" && grep -q '^  listen: ""$' "$work/a.yaml"
check $? "segmentd_config writes the socket and turns the listener off"
in_harness "segmentd_config '$work/b.yaml' /tmp/s.sock seg '$work/inbox' 'observability:
  listen: 127.0.0.1:0'"
[ "$(grep -c '^observability:' "$work/b.yaml")" = 1 ]; check $? "segmentd_config keeps a caller's observability section"

p=$(in_harness free_port); [[ $p =~ ^[0-9]+$ ]] && ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null
check $? "free_port prints a port nothing listens on"

"$src/tests/expect_output.sh" 'a.*b' bash -c 'echo a; echo b' >/dev/null; check $? "expect_output passes a matching command"
"$src/tests/expect_output.sh" 'a.*b' bash -c 'echo a; echo b; exit 3' >/dev/null 2>&1; [ $? = 3 ]
check $? "expect_output fails a command that exits non-zero, with its status, even when the output matches"
"$src/tests/expect_output.sh" 'a.*c' bash -c 'echo a; echo b' >/dev/null 2>&1; [ $? = 1 ]
check $? "expect_output fails output that does not match"

# The citation check fails on a section that does not exist, and passes
# one that does (a dated heading cited by its title too).
mkdir -p "$work/docs/doc"
printf '# T\n\n## Known\n\n## Dated (2026-12-06, 22:04 UTC)\n' >"$work/docs/README.md"
printf '// fine: README "Known", README "Dated"\n' >"$work/docs/good.cpp"
python3 "$src/tests/harness/section_citations.py" "$work/docs" >/dev/null; check $? "section_citations passes citations of existing sections"
printf '// stale: README "Gone"\n' >"$work/docs/bad.cpp"
out=$(python3 "$src/tests/harness/section_citations.py" "$work/docs"); [ $? = 1 ] && grep -q 'bad.cpp:1: README has no section "Gone"' <<<"$out"
check $? "section_citations fails a citation of a missing section, naming file and line"
printf 'see [x](doc/NOPE.md#a)\n' >"$work/docs/doc/X.md"; rm "$work/docs/bad.cpp"
python3 "$src/tests/harness/section_citations.py" "$work/docs" >/dev/null; [ $? = 1 ]; check $? "section_citations fails a link to a missing file"

[ "$problems" = 0 ] || { echo "$problems check(s) failed" >&2; exit 1; }
