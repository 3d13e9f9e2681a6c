#!/usr/bin/env bash
# The systemd unit as installed: `systemd-analyze verify` is clean and the
# offline security exposure is 2.0 or less; `cmake --install` puts binary,
# unit, sysusers/tmpfiles, example config and SQL in the standard places.
# Exit 77 (skipped) where systemd-analyze is not available.
set -euo pipefail
build=$1
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed"; exit 77; }
work=$build/systemd-test
rm -rf "$work"
mkdir -p "$work"
DESTDIR=$work/root cmake --install "$build" --prefix /usr >/dev/null
root=$work/root
for f in usr/bin/segmentd usr/lib/systemd/system/segmentd.service usr/lib/sysusers.d/segmentd.conf \
  usr/lib/tmpfiles.d/segmentd.conf usr/share/segmentd/examples/segmentd.yaml \
  usr/share/segmentd/sql/migrations/V001__canonical_tables.sql usr/share/segmentd/sql/routines/R010__refresh_procedures.sql; do
  [ -e "$root/$f" ] || { echo "FAIL: cmake --install did not install $f"; exit 1; }
done
grep -q "^ExecStart=/usr/bin/segmentd --config /etc/segmentd/segmentd.yaml run$" "$root/usr/lib/systemd/system/segmentd.service" ||
  { echo "FAIL: unit does not point at the installed binary"; exit 1; }

# verify resolves ExecStart= paths on this machine: point them at the staged binary.
sed "s|/usr/bin/segmentd|$root/usr/bin/segmentd|g" "$root/usr/lib/systemd/system/segmentd.service" >"$work/segmentd.service"
out=$(systemd-analyze verify "$work/segmentd.service" 2>&1) || { echo "FAIL: verify: $out"; exit 1; }
[ -z "$out" ] || { echo "FAIL: verify printed: $out"; exit 1; }

report=$(systemd-analyze security --offline=true "$work/segmentd.service" 2>&1)
level=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for segmentd.service: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || { echo "FAIL: no exposure level in: $report"; exit 1; }
awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "FAIL: exposure $level > 2.0"; exit 1; }
echo "ok: exposure $level"
