#!/usr/bin/env bash
# The segment report in a real browser: headless Chromium opens the file a
# daemon wrote after its refresh, takes a screenshot (kept as a test
# artifact), and its console shows no error and its network log no request
# beyond the file itself; the page's text has every section. GET /report
# serves the same file.
#
# REPORT_SCALE (default 0.01) sets the data; REPORT_SCREENSHOT_OUT copies the
# screenshot there (doc/report.png is made with REPORT_SCALE=1, see doc/OPERATIONS.md
# "The segment report").
. "$(dirname "$0")/lib.sh"
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
port=$(free_port)
write_config "exports:
  dir: $work/exports
observability:
  listen: 127.0.0.1:$port"
create_database
generate_data "${REPORT_SCALE:-0.01}" "$work/data"
start_daemon
for f in "$work/data"/*.csv; do cp "$f" "$work/inbox/$(basename "$f").part"; done
for f in "$work/data"/*.csv; do mv "$work/inbox/$(basename "$f").part" "$work/inbox/$(basename "$f")"; done
wait_for_log "report.written" 300
# A second refresh after some customers spent more, so there is movement.
sql "UPDATE order_payments SET payment_value = payment_value * 15 WHERE MOD(CRC32(order_id), 4) = 0"
"$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "refresh"
"$bin" --config "$work/segmentd.yaml" report "$work/exports/report.html" >/dev/null 2>&1 || fail "segmentd report"
report=$work/exports/report.html
[ "$(stat -c %a "$report")" = 600 ] || fail "report mode $(stat -c %a "$report")"
size=$(stat -c %s "$report")
[ "$size" -lt 1048576 ] || fail "report is $size bytes"
curl -sf "http://127.0.0.1:$port/report" | cmp -s - "$report" || fail "GET /report differs from the file"
expect_eq "$(sql "SELECT JSON_UNQUOTE(JSON_EXTRACT(details, '$.report.status')) FROM pipeline_runs WHERE kind = 'refresh' AND \`trigger\` = 'file' ORDER BY run_id DESC LIMIT 1")" \
  written "the daemon's refresh recorded its report"

browse() {  # browse OUTPUT-OPTION...: one headless Chromium run on the report
  "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/chrome-$1" --enable-logging=stderr --v=0 \
    --log-net-log="$work/net-$1.json" "${@:2}" "file://$report" 2>"$work/chrome-$1.log"
}
browse shot --window-size=1200,4400 --screenshot="$work/report.png" >/dev/null || fail "chromium: $(tail -5 "$work/chrome-shot.log")"
browse dom --dump-dom >"$work/dom.html" || fail "chromium --dump-dom: $(tail -5 "$work/chrome-dom.log")"
[ -s "$work/report.png" ] || fail "no screenshot"
python3 - "$work/report.png" <<'PY' || fail "the screenshot is not a page-sized PNG"
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert w >= 1000 and h >= 4000, (w, h)
PY
for log in "$work"/chrome-*.log; do
  ! grep -E "CONSOLE|Refused to|Uncaught" "$log" >/dev/null || fail "console: $(grep -E "CONSOLE|Refused to|Uncaught" "$log" | head -3)"
done
# No request from the page: in Chromium's network log a request the page
# makes has the page's origin ("null" for a file) as its initiator; the
# browser's own (update checks) have "not an origin".
for net in "$work"/net-*.json; do
  python3 - "$net" <<'PY' || fail "the page made network requests (see $net)"
import json, sys
events = json.load(open(sys.argv[1]))["events"]
page = sorted({e["params"]["url"] for e in events
               if "url" in e.get("params", {}) and e["params"].get("initiator", "not an origin") != "not an origin"})
if page:
    print("requests:", page)
    sys.exit(1)
PY
done
for text in "Customer segments" "Segments" "Recency" "Movement since the previous refresh" " became " "Trend" \
  "Lifecycle health" "Data quality since the previous refresh" "Recommended actions" "Champions" "Reward them"; do
  grep -qF "$text" "$work/dom.html" || fail "the rendered page lacks: $text"
done
[ -z "${REPORT_SCREENSHOT_OUT:-}" ] || cp "$work/report.png" "$REPORT_SCREENSHOT_OUT"
stop_daemon
echo "ok (report $size bytes, screenshot $work/report.png)"
