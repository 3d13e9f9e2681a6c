#!/usr/bin/env bash
# `segmentd schedule` and `check-config` read only the config: they work with
# an unreachable database and print DST-correct local times.
. "$(dirname "$0")/lib.sh"
cat >"$work/segmentd.yaml" <<YAML
database:
  host: 127.0.0.1
  port: 1
inbox:
  path: $work/inbox
schedules:
  - name: berlin
    cron: "30 2 * * *"
    timezone: Europe/Berlin
  - name: ny-weekdays
    cron: "0 9 * * mon-fri"
    timezone: America/New_York
YAML
"$bin" --config "$work/segmentd.yaml" schedule --from 2026-03-27T12:00:00Z --count 3 >"$work/out.txt"
expected=$(printf '%s\n' \
  "berlin	2026-03-28T02:30:00+01:00" \
  "berlin	2026-03-29T03:00:00+02:00" \
  "berlin	2026-03-30T02:30:00+02:00" \
  "ny-weekdays	2026-03-27T09:00:00-04:00" \
  "ny-weekdays	2026-03-30T09:00:00-04:00" \
  "ny-weekdays	2026-03-31T09:00:00-04:00")
expect_eq "$(cat "$work/out.txt")" "$expected" "schedule output"
"$bin" --config "$work/segmentd.yaml" check-config >"$work/check.txt" || fail "check-config failed on a good file"
grep -q "^config OK" "$work/check.txt" || fail "check-config output"
expect_eq "$(grep -c "^berlin	" "$work/check.txt")" 3 "check-config fire times per schedule"

sed -i 's/cron: "0 9 \* \* mon-fri"/cron: "0 9 * * mon-fry"/' "$work/segmentd.yaml"
rc=0
"$bin" --config "$work/segmentd.yaml" check-config 2>"$work/err.txt" || rc=$?
expect_eq "$rc" 2 "check-config exit code on a bad file"
expect_eq "$(cat "$work/err.txt")" \
  "segmentd: $work/segmentd.yaml:11:11: schedules[1].cron: day-of-week field \"mon-fry\": \"fry\" is not a number or name" \
  "check-config error"
rc=0
"$bin" --config "$work/segmentd.yaml" schedule --from yesterday 2>/dev/null || rc=$?
expect_eq "$rc" 2 "schedule exit code on a bad --from"
echo ok
