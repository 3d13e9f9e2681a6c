#!/usr/bin/env bash
# The same generated orders give the same segments whether dropped as the
# Olist files or as any platform's export (segmentd-datagen --format): the
# exports carry refunds (net equal to the Olist value), cancellations,
# guests keyed by e-mail, memos, and a second currency with its rates file.
# Compared per segment: customers, revenue, and the sums of the scores.
. "$(dirname "$0")/lib.sh"
scale=${SEGMENTD_CROSSCHECK_SCALE:-0.02}
olist_db=$database
write_config ""
create_database
"$SEGMENTD_DATAGEN" --scale "$scale" --seed 7 --out "$work/olist" >/dev/null
"$bin" --config "$work/segmentd.yaml" ingest "$work"/olist/*.csv >/dev/null 2>&1 || fail "olist ingest"
"$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "olist refresh"
summary="SELECT segment_name, COUNT(*), SUM(monetary), SUM(frequency), SUM(r_score), SUM(f_score), SUM(m_score)
         FROM customer_segments GROUP BY segment_name ORDER BY segment_name"
sql "$summary" >"$work/olist.tsv"
[ "$(wc -l <"$work/olist.tsv")" -ge 5 ] || fail "the reference has too few segments: $(cat "$work/olist.tsv")"

feed_db="${olist_db}_feed"
trap 'rc=$?; sql_root "DROP DATABASE IF EXISTS \`$feed_db\`" >/dev/null 2>&1 || true; database=$olist_db; cleanup $rc' EXIT
for format in shopify woocommerce magento bigcommerce stripe paypal; do
  sql_root "DROP DATABASE IF EXISTS \`$feed_db\`; CREATE DATABASE \`$feed_db\`"
  database=$feed_db
  write_config "currency:
  base: BRL"
  "$bin" --config "$work/segmentd.yaml" migrate >/dev/null 2>&1 || fail "migrate"
  rm -rf "$work/$format"
  "$SEGMENTD_DATAGEN" --scale "$scale" --seed 7 --format "$format" --out "$work/$format" >"$work/$format.counts"
  grep -Eq "partly refunded [1-9][0-9]*, cancelled [1-9]" "$work/$format.counts" ||
    fail "$format export without refunds or cancellations: $(cat "$work/$format.counts")"
  files=("$work/$format/$format-orders.csv")
  [ -f "$work/$format/rates.csv" ] && files=("$work/$format/rates.csv" "${files[@]}")
  "$bin" --config "$work/segmentd.yaml" ingest "${files[@]}" >"$work/$format.out" 2>&1 ||
    fail "$format ingest: $(tail -n 5 "$work/$format.out")"
  "$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "$format refresh"
  sql "$summary" >"$work/$format.tsv"
  diff "$work/olist.tsv" "$work/$format.tsv" >&2 || fail "$format gives other segments than the Olist files"
  database=$olist_db
done

# Two daily deltas on top (new orders, restated statuses and payments):
# as Olist delta files into the Olist database, as Shopify exports of the
# same days into a Shopify one; the incremental refreshes agree.
write_config ""
for day in 1 2; do
  "$SEGMENTD_DATAGEN" --scale "$scale" --seed 7 --delta-day "$day" --out "$work/olist-day$day" >/dev/null
  "$bin" --config "$work/segmentd.yaml" ingest "$work/olist-day$day"/*.csv >/dev/null 2>&1 || fail "olist day $day"
done
"$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "olist refresh after the deltas"
sql "$summary" >"$work/olist-deltas.tsv"
sql_root "DROP DATABASE IF EXISTS \`$feed_db\`; CREATE DATABASE \`$feed_db\`"
database=$feed_db
write_config "currency:
  base: BRL"
"$bin" --config "$work/segmentd.yaml" migrate >/dev/null 2>&1 || fail "migrate"
"$bin" --config "$work/segmentd.yaml" ingest "$work/shopify/rates.csv" "$work/shopify/shopify-orders.csv" >/dev/null 2>&1 ||
  fail "shopify base"
"$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "shopify refresh"
for day in 1 2; do
  "$SEGMENTD_DATAGEN" --scale "$scale" --seed 7 --delta-day "$day" --format shopify --out "$work/shopify-day$day" \
    >"$work/shopify-day$day.counts"
  mv "$work/shopify-day$day/shopify-orders.csv" "$work/shopify-day$day/shopify-day$day.csv"
  "$bin" --config "$work/segmentd.yaml" ingest "$work/shopify-day$day/shopify-day$day.csv" >/dev/null 2>&1 ||
    fail "shopify day $day"
done
grep -q "^# orders [1-9]" "$work/shopify-day2.counts" || fail "day 2's export is empty"
"$bin" --config "$work/segmentd.yaml" refresh >"$work/shopify-deltas.out" 2>&1 || fail "shopify refresh after the deltas"
grep -q "incremental" "$work/shopify-deltas.out" || fail "the refresh after the Shopify deltas was not incremental"
sql "$summary" >"$work/shopify-deltas.tsv"
diff "$work/olist-deltas.tsv" "$work/shopify-deltas.tsv" >&2 || fail "the Shopify deltas give other segments"
! diff -q "$work/olist.tsv" "$work/olist-deltas.tsv" >/dev/null || fail "the deltas changed no segment: the check would prove nothing"
database=$olist_db
echo "ok"
