#!/usr/bin/env bash
# Predictions (doc/PREDICTIONS.md): the CDNOW sample's calibration period
# loaded through a custom feed reproduces the published BG/NBD and
# Gamma-Gamma fits in vw_prediction_fit; the gate marks predictions
# unavailable and keeps the previous ones; a reader holding the table and
# a connection killed mid-step leave the previous predictions; other
# horizons re-shape the view; an incremental refresh followed by
# predictions equals a full one; the daemon predicts after its refresh.
. "$(dirname "$0")/lib.sh"
cdnow=$src/../shared/cdnow
[ -f "$cdnow/CDNOW_sample.txt" ] || cdnow=/work/shared/cdnow
[ -f "$cdnow/CDNOW_sample.txt" ] || fail "no ../shared/cdnow/CDNOW_sample.txt"

feed='feeds:
  - name: cdnow
    grain: order
    date_format: "%Y%m%d"
    timezone: UTC
    columns: {order_id: Order, customer_id: Customer, purchased_at: Date, amount: Amount}'
config() { write_config "$feed
segmentation:
  as_of: ${as_of:-\"1997-09-30\"}
predictions:
  horizons_days: [${horizons:-30, 90, 365}]
  min_repeat_customers: ${min_repeat:-30}"; }
config
create_database
cli() { "$bin" --config "$work/segmentd.yaml" "$@" 2>>"$work/cli.log"; }
# The sample as the feed's CSV, one order per transaction line, in the
# test's own folder (the data stay in ../shared).
cdnow_csv() { awk -v from="$1" -v to="$2" 'BEGIN { print "Order,Customer,Date,Amount" }
  $3 >= from && $3 <= to { printf "%d,C%s,%s,%s\n", NR, $1, $3, $5 }' "$cdnow/CDNOW_sample.txt"; }
cdnow_csv 19970101 19970930 >"$work/cdnow-calibration.csv"
cli ingest "$work/cdnow-calibration.csv" >"$work/out.txt" || fail "ingest: $(cat "$work/out.txt")"
cli refresh >"$work/out.txt" || fail "refresh: $(cat "$work/out.txt")"
grep -q "^predictions for run [0-9]* available: 2357 customers" "$work/out.txt" ||
  fail "refresh is followed by predictions: $(cat "$work/out.txt")"
run1=$(sql "SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh'")

# --- the published fits (Fader, Hardie & Lee 2005), weekly α = daily α / 7,
# and the log-likelihood in weeks: each purchase's density in days is 1/7 of it.
fit() { sql "SELECT $2 FROM vw_prediction_fit WHERE model = '$1'"; }
expect_eq "$(fit bgnbd "CONCAT_WS(' ', ROUND(r, 3), ROUND(alpha / 7, 3), ROUND(a, 3), ROUND(b, 3), converged, time_unit, status)")" \
  "0.243 4.414 0.793 2.426 1 day available" "BG/NBD fit"
expect_eq "$(sql "SELECT ROUND(f.log_likelihood + (SELECT SUM(x) FROM customer_predictions) * LN(7), 1) FROM vw_prediction_fit f WHERE model = 'bgnbd'")" \
  "-9582.4" "BG/NBD log-likelihood in weeks"
expect_eq "$(fit gammagamma "CONCAT_WS(' ', ROUND(p, 2), ROUND(q, 2), ROUND(gamma, 2), customers, r IS NULL)")" \
  "6.25 3.74 15.44 946 1" "Gamma-Gamma fit"
expect_eq "$(fit bgnbd "CONCAT_WS(' ', run_id, p IS NULL, q IS NULL, gamma IS NULL)")" "$run1 1 1 1" "BG/NBD has no p, q, gamma"
expect_eq "$(sql "SELECT CONCAT_WS(' ', COUNT(*), MIN(run_id), MAX(run_id)) FROM vw_customer_predictions")" "2357 $run1 $run1" \
  "a prediction per customer, with the segments' run"
expect_eq "$(sql "SELECT CONCAT_WS(' ', MIN(p_alive), MAX(p_alive)) FROM customer_predictions WHERE x = 0")" "1 1" \
  "P(alive) = 1 without repeat purchases"
expect_eq "$(sql "SELECT COUNT(*) FROM customer_predictions WHERE NOT (p_alive > 0 AND p_alive <= 1
  AND expected_purchases_30d < expected_purchases_90d AND expected_purchases_90d < expected_purchases_365d
  AND predicted_value_365d >= predicted_value_30d AND expected_avg_spend > 0)")" 0 "values in range and ordered"
# Customer 4 is the paper's example (x = 2, t_x = 30.43 and T = 38.86 weeks):
# Gamma-Gamma's conditional mean from the fit, and below its 39 weeks.
expect_eq "$(sql "SELECT CONCAT_WS(' ', c.x, c.t_x, c.t_days, ABS(c.expected_avg_spend - f.p * (f.gamma + c.repeat_spend * c.x) / (f.p * c.x + f.q - 1)) < 0.01)
  FROM customer_predictions c JOIN vw_prediction_fit f ON f.model = 'gammagamma' WHERE c.customer_unique_id = 'C00004'")" \
  "2 213 272 1" "customer 4's summary and expected spend"
expect_eq "$(sql "SELECT JSON_VALUE(details, '\$.predictions.status') FROM pipeline_runs WHERE run_id = $run1")" available \
  "the run's details carry the predictions"

cli history --run "$run1" >"$work/history.txt"
grep -q "^predictions: *available" "$work/history.txt" && grep -q "^  BG/NBD (days): *r=0.24" "$work/history.txt" &&
  grep -q "^  Gamma-Gamma: *p=6.2" "$work/history.txt" || fail "history --run shows the fit: $(cat "$work/history.txt")"

# --- explain, the BI export and the report carry them
cli explain --json C00004 | python3 -c '
import json, sys
[e] = json.load(sys.stdin)
p, fit = e["predictions"], e["fit"]
assert abs(float(p["p_alive"]) - float(sys.argv[1])) < 1e-5, (p["p_alive"], sys.argv[1])
assert p["run_id"] == sys.argv[2] and "expected_purchases_365d" in p, p
assert round(float(fit["bgnbd"]["r"]), 3) == 0.243 and "p" not in fit["bgnbd"], fit
assert round(float(fit["gammagamma"]["p"]), 2) == 6.25, fit
' "$(sql "SELECT p_alive FROM vw_customer_predictions WHERE customer_unique_id = 'C00004'")" "$run1" ||
  fail "explain shows the predictions and their fit"
cli export "$work/exports" >/dev/null || fail "export"
bi=$work/exports/current/bi_view_customer_segments.csv
expect_eq "$(head -n1 "$bi" | cut -d, -f10-)" \
  "p_alive,expected_purchases_30d,predicted_value_30d,expected_purchases_90d,predicted_value_90d,expected_purchases_365d,predicted_value_365d,expected_avg_spend" \
  "prediction columns of the BI export"
expect_eq "$(awk -F, '$1 == "C00004" { print $NF }' "$bi")" \
  "$(sql "SELECT expected_avg_spend FROM customer_predictions WHERE customer_unique_id = 'C00004'")" "customer 4's row"
cli report "$work/report.html" >/dev/null || fail "report"
python3 - "$work/report.html" 2357 <<'PY' || fail "report's predictions section"
import re, sys
page = open(sys.argv[1]).read()
assert 'id="predictions"' in page, "no predictions section"
counts = [int(v) for v in re.findall(r'data-k="pred\.[^"]*\.customers" data-v="(\d+)"', page)]
assert sum(counts) == int(sys.argv[2]), counts
risky = re.findall(r'data-k="pred\.at_risk\.\d+\.p_alive" data-v="([0-9.]+)"', page)
assert 0 < len(risky) <= 10 and all(float(p) < 0.5 for p in risky), risky
PY

# --- the gate: too few repeat customers; the previous predictions stay
min_repeat=5000 config
cli predict >"$work/out.txt" && fail "predict with too few repeat customers must not succeed"
grep -q "unavailable: 946 repeat customers, fewer than predictions.min_repeat_customers (5000)" "$work/out.txt" ||
  fail "gate reason: $(cat "$work/out.txt")"
expect_eq "$(fit bgnbd "CONCAT_WS(' ', status, r IS NULL)")" "unavailable 1" "the fit view says unavailable"
expect_eq "$(sql "SELECT CONCAT_WS(' ', COUNT(*), MAX(run_id)) FROM vw_customer_predictions")" "2357 $run1" "previous predictions kept"
min_repeat=30 config

# A BI reader's transaction over customer_predictions (its metadata lock
# holds the swap's RENAME), and its end.
hold_reader() {
  "$src/scripts/privdb.sh" client "$db_dir" -N -B "$database" \
    -e "START TRANSACTION; SELECT COUNT(*) FROM customer_predictions; SELECT SLEEP(40); COMMIT;" >/dev/null &
  reader=$!
  sleep 1
}
release_reader() {
  kill "$reader" 2>/dev/null || true
  wait "$reader" 2>/dev/null || true
  sql_root "SELECT id FROM information_schema.processlist WHERE db = '$database' AND info LIKE 'SELECT SLEEP%'" |
    while read -r id; do sql_root "KILL $id" || true; done
}

# --- a reader holding the table: the swap gives up, the previous predictions stay
before=$(sql "SELECT SUM(CRC32(CONCAT_WS(',', customer_unique_id, p_alive, predicted_value_365d))) FROM customer_predictions")
hold_reader
cli predict >"$work/out.txt" && fail "predict must fail while a reader holds the table"
grep -q "failed: .*Lock wait timeout" "$work/out.txt" || fail "lock wait reported: $(cat "$work/out.txt")"
expect_eq "$(sql "SELECT status FROM prediction_runs WHERE run_id = $run1")" failed "recorded failed"
release_reader

# --- the step's connection killed while it waits to swap: the same
hold_reader
cli predict >"$work/out.txt" &
step=$!
victim=""
for _ in $(seq 1 80); do
  victim=$(sql_root "SELECT id FROM information_schema.processlist WHERE db = '$database' AND info LIKE 'RENAME TABLE customer_predictions%'")
  [ -n "$victim" ] && break
  sleep 0.1
done
[ -n "$victim" ] || fail "the step never reached its swap"
sql_root "KILL $victim"
rc=0
wait "$step" || rc=$?
[ "$rc" != 0 ] || fail "a killed step must not succeed"
release_reader
expect_eq "$(sql "SELECT SUM(CRC32(CONCAT_WS(',', customer_unique_id, p_alive, predicted_value_365d))) FROM customer_predictions")" \
  "$before" "previous predictions unchanged after a killed step"
# The next step closes the interrupted one's row, clears its tables and succeeds.
cli predict >"$work/out.txt" || fail "predict after a killed step: $(cat "$work/out.txt")"
expect_eq "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database' AND table_name LIKE '%\_next'")" 0 \
  "no scratch tables left"

# --- other horizons: the view follows
horizons="7, 273" config
cli predict >/dev/null || fail "predict with other horizons"
expect_eq "$(sql "SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = '$database' AND table_name = 'vw_customer_predictions'")" \
  "customer_unique_id,p_alive,expected_purchases_7d,predicted_value_7d,expected_purchases_273d,predicted_value_273d,expected_avg_spend,run_id" \
  "view columns follow predictions.horizons_days"
# The paper's figure: customer 4 is expected to buy 1.226 times in the next 39 weeks.
expect_eq "$(sql "SELECT ROUND(expected_purchases_273d, 2) FROM vw_customer_predictions WHERE customer_unique_id = 'C00004'")" \
  "1.23" "customer 4's expected purchases in 39 weeks"
horizons="30, 90, 365" config
cli predict >/dev/null || fail "predict back to the default horizons"

# --- an incremental refresh followed by predictions equals a full one
as_of=data config
cli refresh --full >/dev/null || fail "full refresh as of the data"
cdnow_csv 19971001 19971031 >"$work/cdnow-october.csv"
cli ingest "$work/cdnow-october.csv" >/dev/null || fail "ingest october"
cli refresh >"$work/out.txt" || fail "incremental refresh: $(cat "$work/out.txt")"
expect_eq "$(sql "SELECT JSON_VALUE(details, '\$.mode') FROM pipeline_runs WHERE kind = 'refresh' ORDER BY run_id DESC LIMIT 1")" \
  incremental "the refresh after October was incremental"
checksum="SELECT CONCAT_WS(' ', COUNT(*), SUM(CRC32(CONCAT_WS(',', customer_unique_id, x, t_x, t_days, repeat_spend, p_alive,
  expected_avg_spend, expected_purchases_30d, predicted_value_30d, expected_purchases_365d, predicted_value_365d)))) FROM customer_predictions"
incremental=$(sql "$checksum")
cli refresh --full >/dev/null || fail "full refresh"
expect_eq "$(sql "$checksum")" "$incremental" "predictions after incremental = after full"

# --- the daemon predicts after its own refresh
start_daemon
cdnow_csv 19971101 19971130 >"$work/inbox/cdnow-november.csv"
wait_for_log "predict.finished .*status=available" 60
stop_daemon
expect_eq "$(sql "SELECT COUNT(DISTINCT run_id) = 1 AND MAX(run_id) = (SELECT MAX(run_id) FROM pipeline_runs WHERE kind = 'refresh' AND status = 'succeeded') FROM customer_predictions")" \
  1 "the daemon's predictions carry its refresh's run"
echo "predictions: ok"
