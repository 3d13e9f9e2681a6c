#!/usr/bin/env bash
# Feeds (doc/FEEDS.md): each preset from a file written to its documented
# header with its quirks, a custom feed in Windows-1252 with a decimal
# comma, refunds and restatements that arrive in later files, currency
# rates before and after the orders, an order without a rate (held, then
# counted), a store prefix, refused headers, and a feed delta whose
# incremental refresh equals a full one. Loaded with `segmentd ingest`;
# the last part drops files into a running daemon's inbox.
. "$(dirname "$0")/lib.sh"
write_config "currency:
  base: EUR
feeds:
  - name: shop
    preset: shopify_orders
  - name: woo
    preset: woocommerce_orders
  - name: magento
    preset: magento_orders_grid
  - name: bc
    preset: bigcommerce_orders
  - name: stripe
    preset: stripe_payments
  - name: paypal
    preset: paypal_activity
  - name: erp
    store: de
    delimiter: \";\"
    decimal_comma: true
    date_format: \"%d.%m.%Y\"
    timezone: Europe/Berlin
    encoding: windows-1252
    grain: order
    columns: {order_id: Belegnummer, customer_id: Kundennummer, purchased_at: Belegdatum, amount: Betrag, refunded: Erstattet, currency: Währung, status: Status}
    counted_statuses: [bezahlt, versandt]"
create_database
in=$work/files
mkdir -p "$in"
ingest() { "$bin" --config "$work/segmentd.yaml" ingest "$@" 2>>"$work/cli.log"; }
value() { sql "SELECT CONCAT(outcome, ' ', COALESCE(value_base, 'NULL')) FROM feed_orders WHERE order_key = '$1'"; }

# --- Shopify: line items, a partial refund, a cancellation, a pending order, USD without a rate
cat >"$in/orders_export_1.csv" <<'CSV'
Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Id,Tags,Risk Level,Source
#1001,Alice@Example.com,paid,2024-01-05 10:00:00 +0100,fulfilled,,yes,EUR,100.00,5.00,0.00,105.00,,0.00,Standard,2024-01-05 10:00:00 +0100,1,Shirt,50.00,,S1,,card,r1,0.00,V,0.00,1,,Low,web
#1001,,,,,,,,,,,,,,,,1,Hat,50.00,,H1,,,,,V,,,,,
#1002,bob@example.com,partially_refunded,,,,no,USD,"1,000.00",0,0,"1,000.00",,0,,2024-02-01 23:30:00 -0500,1,TV,1000,,T1,,card,r2,250.00,V,0,2,,Low,web
#1003,carol@example.com,paid,,,,yes,EUR,10,0,0,10.00,,0,,2024-02-03 08:00:00 +0000,1,Pen,10,,P1,2024-02-04 08:00:00 +0000,card,r3,0,V,0,3,,Low,web
#1004,alice@example.com,pending,,,,yes,EUR,10,0,0,20.00,,0,,2024-03-03 08:00:00 +0000,1,Pen,10,,P1,,card,r4,0,V,0,4,,Low,web
#1005,,paid,,,,yes,EUR,10,0,0,20.00,,0,,2024-03-03 08:00:00 +0000,1,Pen,10,,P1,,card,r5,0,V,0,5,,Low,web
CSV
ingest "$in/orders_export_1.csv" >"$work/out.txt" && fail "a row without a customer key must refuse the file (max_rejected_rows 0)"
grep -q "line 7: no customer key" "$work/out.txt" || fail "refusal names the line: $(cat "$work/out.txt")"
expect_eq "$(sql "SELECT COUNT(*) FROM feed_orders")" 0 "orders of a refused file"
sed -i '/^#1005/d' "$in/orders_export_1.csv"
ingest "$in/orders_export_1.csv" >"$work/out.txt" || fail "shopify load: $(cat "$work/out.txt")"
grep -q "orders held for want of a rate: USD 1" "$work/out.txt" || fail "held order reported: $(cat "$work/out.txt")"
grep -q "feed.orders_held .*held=\"USD 1\"" "$work/cli.log" || fail "held order logged"
expect_eq "$(value '#1001')" "counted 105.00" "#1001 (two line items, one order)"
expect_eq "$(value '#1002')" "held NULL" "#1002 (USD, no rate yet)"
expect_eq "$(value '#1003')" "cancelled 10.00" "#1003 (cancelled)"
expect_eq "$(value '#1004')" "not_counted 20.00" "#1004 (pending)"
expect_eq "$(sql "SELECT order_status FROM orders WHERE order_id = '#1002'")" "held" "held order in orders"
expect_eq "$(sql "SELECT customer_unique_id FROM customers WHERE customer_id = 'alice@example.com'")" \
  "alice@example.com" "the e-mail key, lower-cased, is customer_unique_id"
expect_eq "$(sql "SELECT consent FROM feed_customers WHERE customer_id = 'bob@example.com'")" 0 "consent kept"
expect_eq "$(sql "SELECT JSON_UNQUOTE(JSON_EXTRACT(details, '\$.files[0].held_for_rate')) FROM pipeline_runs WHERE kind = 'ingest' ORDER BY run_id DESC LIMIT 1")" \
  "USD 1" "held orders in the run's details"
# The same content again is a duplicate.
cp "$in/orders_export_1.csv" "$in/again.csv"
ingest "$in/again.csv" | grep -q "^duplicate" || fail "same content twice is a duplicate"

# --- rates after the orders: the held order counts; one dated after it does not apply
printf 'date,currency,rate\n2024-01-01,USD,0.90\n2024-02-01,USD,0.92\n2024-03-01,USD,0.95\n' >"$in/rates.csv"
ingest "$in/rates.csv" >/dev/null || fail "rates load"
# 2024-02-02 04:30 UTC: the rate of 2024-02-01; (1000 - 250) * 0.92
expect_eq "$(value '#1002')" "counted 690.00" "#1002 counted once its rate arrived"
# A rate file with a bad row is refused naming the line.
printf 'date,currency,rate\n2024-01-01,GBP,1.15\n2024-13-01,GBP,1.1\n' >"$in/rates-bad.csv"
ingest "$in/rates-bad.csv" >"$work/out.txt" && fail "bad rate accepted"
grep -q "line 3: date '2024-13-01' is not YYYY-MM-DD" "$work/out.txt" || fail "bad rate reason: $(cat "$work/out.txt")"

# --- a refund issued after the first export: the order is restated
sed -e 's/^#1001,Alice@Example.com,paid,/#1001,Alice@Example.com,partially_refunded,/' \
  -e '/^#1001,Alice/s/,0.00,V,0.00,1,/,5.50,V,0.00,1,/' "$in/orders_export_1.csv" >"$in/orders_export_2.csv"
ingest "$in/orders_export_2.csv" >/dev/null || fail "restatement load"
expect_eq "$(value '#1001')" "counted 99.50" "#1001 after a later refund"
expect_eq "$(sql "SELECT COUNT(*) FROM orders WHERE order_id = '#1001'")" 1 "a restatement replaces, never adds"

# --- WooCommerce (guests keyed by e-mail), Magento (base amounts with signs), BigCommerce (exchange rate)
cat >"$in/woo.csv" <<'CSV'
order_id,order_number,order_date,paid_date,status,shipping_total,order_total,order_subtotal,order_currency,order_refund,customer_id,customer_user,customer_email,billing_first_name,line_item_1
11,W-11,2024-03-01 12:00:00,2024-03-01 12:00:00,completed,0,50.00,50.00,EUR,10.00,0,,Guest@Example.com,Gi,name:x
12,W-12,2024-03-02 12:00:00,,pending,0,70.00,70.00,EUR,0,42,,dora@example.com,Do,name:y
13,W-13,2024-03-03 12:00:00,,processing,0,30.00,30.00,EUR,0,42,,dora@example.com,Do,name:z
CSV
cat >"$in/magento.csv" <<'CSV'
ID,Purchase Point,Purchase Date,Bill-to Name,Ship-to Name,Grand Total (Base),Grand Total (Purchased),Status,Customer Email,Total Refunded
000000101,Main Website,"Mar 4, 2024 1:05:00 PM",Eve,Eve,"€1,200.00","€1,200.00",complete,eve@example.com,€0.00
000000102,Main Website,"Mar 5, 2024 9:00:00 AM",Eve,Eve,€80.00,€80.00,canceled,eve@example.com,€0.00
CSV
cat >"$in/bc.csv" <<'CSV'
Order ID,Customer ID,Customer Name,Customer Email,Order Date,Order Status,Order Total (inc tax),Order Currency Code,Exchange Rate,Refund Amount
501,0,Fay,fay@example.com,06/03/2024,Completed,100.00,GBP,0.8,20.00
502,77,Gus,gus@example.com,07/03/2024,Awaiting Payment,100.00,EUR,1,0
CSV
ingest "$in/woo.csv" "$in/magento.csv" "$in/bc.csv" >"$work/out.txt" || fail "woo/magento/bc: $(cat "$work/out.txt")"
expect_eq "$(value 'W-11')" "counted 40.00" "woocommerce guest order (net of its refund)"
expect_eq "$(sql "SELECT customer_id FROM feed_orders WHERE order_key = 'W-11'")" "guest@example.com" "guest keyed by e-mail"
expect_eq "$(sql "SELECT customer_id FROM feed_orders WHERE order_key = 'W-13'")" "42" "registered keyed by id"
expect_eq "$(value 'W-12')" "not_counted 70.00" "pending woocommerce order"
expect_eq "$(value '000000101')" "counted 1200.00" "magento base amount"
expect_eq "$(value '000000102')" "not_counted 80.00" "magento canceled"
expect_eq "$(value '501')" "counted 100.00" "bigcommerce GBP via the export's exchange rate: (100 - 20) / 0.8"
expect_eq "$(sql "SELECT customer_id FROM feed_orders WHERE order_key = '501'")" "fay@example.com" "bigcommerce guest"

# A key twice in one file is a rejected row naming both lines, its raw record in the rejects file.
cat >"$in/woo-twice.csv" <<'CSV'
order_id,order_number,order_date,paid_date,status,shipping_total,order_total,order_subtotal,order_currency,order_refund,customer_id,customer_user,customer_email,billing_first_name,line_item_1
21,W-21,2024-03-01 12:00:00,,completed,0,5.00,5.00,EUR,0,42,,dora@example.com,Do,name:x
22,W-22,2024-03-01 12:00:00,,completed,0,6.00,6.00,EUR,0,42,,dora@example.com,Do,name:x
23,W-21,2024-03-02 12:00:00,,completed,0,7.00,7.00,EUR,0,42,,dora@example.com,Do,name:again
CSV
ingest "$in/woo-twice.csv" >"$work/out.txt" && fail "a key twice in a file was accepted"
grep -q "First: line 4: order key given twice in the file .*W-21; first on line 2" "$work/out.txt" ||
  fail "the refusal names both lines: $(cat "$work/out.txt")"
grep -q '^4,.*,"23,W-21,2024-03-02 12:00:00' "$in/woo-twice.csv.rejects.csv" || fail "the raw record in the rejects file"
expect_eq "$(sql "SELECT COUNT(*) FROM feed_orders WHERE order_key IN ('W-21', 'W-22')")" 0 "nothing of the refused file"

# --- Stripe (converted columns; an older export's header), PayPal (refund rows, memos, PST)
cat >"$in/stripe.csv" <<'CSV'
id,Description,Seller Message,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,Fee,Tax,Converted Currency,Mode,Status,Statement Descriptor,Customer ID,Customer Description,Customer Email,Captured
ch_1,Order,ok,2024-03-08 10:00,100.00,20.00,usd,92.00,18.40,3,0,eur,Live,Paid,SHOP,cus_9,,hal@example.com,true
ch_2,Order,ok,2024-03-08 11:00,50.00,0.00,eur,50.00,0.00,1,0,eur,Live,Paid,SHOP,,,ida@example.com,false
CSV
cat >"$in/stripe-old.csv" <<'CSV'
id,Created,Amount,Amount Refunded,Currency,Status,Customer ID,Customer Email
ch_3,2024-03-09 10:00,12.00,0,eur,Paid,cus_9,hal@example.com
CSV
cat >"$in/paypal.csv" <<'CSV'
"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Reference Txn ID","Balance Impact"
"03/10/2024","23:30:00","PST","Jo","Express Checkout Payment","Completed","EUR","60.00","-2.00","58.00","jo@example.com","shop@example.com","8PP000000000001","","Credit"
"03/10/2024","23:40:00","PST","Jo","General Authorization","Pending","EUR","99.00","0","99.00","jo@example.com","shop@example.com","8PP000000000002","","Memo"
CSV
ingest "$in/stripe.csv" "$in/stripe-old.csv" "$in/paypal.csv" >"$work/out.txt" || fail "stripe/paypal: $(cat "$work/out.txt")"
expect_eq "$(value 'ch_1')" "counted 73.60" "stripe converted net"
expect_eq "$(value 'ch_2')" "not_counted 50.00" "stripe uncaptured"
expect_eq "$(sql "SELECT customer_id FROM feed_orders WHERE order_key = 'ch_2'")" "ida@example.com" "stripe without customer id"
expect_eq "$(value 'ch_3')" "counted 12.00" "stripe older export"
expect_eq "$(value '8PP000000000001')" "counted 60.00" "paypal payment"
expect_eq "$(sql "SELECT purchased_at FROM feed_orders WHERE order_key = '8PP000000000001'")" "2024-03-11 07:30:00" \
  "paypal PST time in UTC"
expect_eq "$(sql "SELECT COUNT(*) FROM feed_orders WHERE order_key = '8PP000000000002'")" 0 "memo ignored"
# The refund arrives in a later file, pointing at the payment.
cat >"$in/paypal-2.csv" <<'CSV'
"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","From Email Address","To Email Address","Transaction ID","Reference Txn ID","Balance Impact"
"03/12/2024","10:00:00","PST","Jo","Payment Refund","Completed","EUR","-15.00","0","-15.00","shop@example.com","jo@example.com","9RF000000000001","8PP000000000001","Debit"
CSV
ingest "$in/paypal-2.csv" >/dev/null || fail "paypal refund load"
expect_eq "$(value '8PP000000000001')" "counted 45.00" "paypal payment after its refund row"

# --- a custom feed in Windows-1252 with a decimal comma, a store prefix, and an undecodable byte
printf 'Belegnummer;Kundennummer;Belegdatum;Betrag;Erstattet;W\xe4hrung;Status\nR-1;K-7;05.03.2024;1.234,56;34,56;EUR;Bezahlt\nR-2;K-8;06.03.2024;10,00;;EUR;offen\n' >"$in/erp.csv"
ingest "$in/erp.csv" >"$work/out.txt" || fail "erp: $(cat "$work/out.txt")"
expect_eq "$(value 'de:R-1')" "counted 1200.00" "erp order (store prefix, decimal comma)"
expect_eq "$(sql "SELECT customer_unique_id FROM customers WHERE customer_id = 'de:K-7'")" "de:K-7" "store:key"
expect_eq "$(sql "SELECT purchased_at FROM feed_orders WHERE order_key = 'de:R-1'")" "2024-03-04 23:00:00" "Berlin midnight"
printf 'Belegnummer;Kundennummer;Belegdatum;Betrag;Erstattet;W\xe4hrung;Status\nR-3;K-\x81;05.03.2024;1,00;;EUR;bezahlt\n' >"$in/erp-bad.csv"
ingest "$in/erp-bad.csv" >"$work/out.txt" && fail "undecodable byte accepted"
grep -q "line 2: not valid windows-1252 text" "$work/out.txt" || fail "encoding reason: $(cat "$work/out.txt")"

# --- refused headers: no feed (closest named), and two feeds for one header
printf 'Name,Email,Financial Status,Currency,Created at\n#1,a@b.c,paid,EUR,2024-01-01 00:00:00 +0000\n' >"$in/cut.csv"
ingest "$in/cut.csv" >"$work/out.txt" && fail "cut header accepted"
grep -q "line 1: header matches no feed; closest is shop, missing Total" "$work/out.txt" || fail "closest: $(cat "$work/out.txt")"

# --- the model: counted feed orders count, net of refunds, in EUR
"$bin" --config "$work/segmentd.yaml" refresh >/dev/null 2>&1 || fail "refresh"
expect_eq "$(sql "SELECT monetary FROM customer_segments WHERE customer_unique_id = 'alice@example.com'")" "99.50" \
  "alice: #1001 net, #1004 pending not counted"
expect_eq "$(sql "SELECT frequency FROM customer_segments WHERE customer_unique_id = '42'")" 1 "dora: one counted order"
expect_eq "$(sql "SELECT COUNT(*) FROM customer_segments WHERE customer_unique_id IN ('carol@example.com', 'ida@example.com')")" \
  0 "customers with no counted order are not segmented"

# --- a feed delta: the incremental refresh equals a full one
cat >"$in/orders_export_3.csv" <<'CSV'
Name,Email,Financial Status,Accepts Marketing,Currency,Total,Created at,Cancelled at,Refunded Amount
#1003,carol@example.com,paid,yes,EUR,10.00,2024-02-03 08:00:00 +0000,,0
#1006,new@example.com,paid,no,USD,100.00,2024-03-20 08:00:00 +0000,,0
#1004,alice@example.com,paid,yes,EUR,20.00,2024-03-03 08:00:00 +0000,,0
CSV
ingest "$in/orders_export_3.csv" >/dev/null || fail "delta load"
"$bin" --config "$work/segmentd.yaml" refresh >"$work/out.txt" 2>&1 || fail "incremental refresh"
grep -q "incremental" "$work/out.txt" || fail "the refresh after a feed delta is incremental: $(cat "$work/out.txt")"
snapshot() { sql "SELECT customer_unique_id, frequency, monetary, r_score, f_score, m_score, segment_name FROM customer_segments ORDER BY 1"; }
snapshot >"$work/incremental.tsv"
grep -q "^new@example.com	1	95.00" "$work/incremental.tsv" || fail "new USD order at the 2024-03-01 rate"
"$bin" --config "$work/segmentd.yaml" refresh --full >/dev/null 2>&1 || fail "full refresh"
snapshot >"$work/full.tsv"
diff "$work/incremental.tsv" "$work/full.tsv" >&2 || fail "incremental after a feed delta differs from full"

# --- through the daemon: a feed file in the inbox loads and refreshes; a header no feed takes is quarantined
start_daemon
cat >"$work/orders_export_4.csv" <<'CSV'
Name,Email,Financial Status,Accepts Marketing,Currency,Total,Created at,Cancelled at,Refunded Amount
#1007,zed@example.com,paid,no,EUR,33.00,2024-03-21 08:00:00 +0000,,0
CSV
printf 'Name,Email\n#1,a@b.c\n' >"$work/unknown.csv"
drop "$work/orders_export_4.csv" "$work/unknown.csv"
wait_for_log "refresh.finished trigger=file" 60
wait_for_log "inbox.file_quarantined file=unknown.csv" 30
expect_eq "$(sql "SELECT segment_name IS NOT NULL FROM customer_segments WHERE customer_unique_id = 'zed@example.com'")" 1 \
  "the daemon's feed order is segmented"
grep -q "reason: line 1: header matches no feed; closest is shop, missing" "$work/inbox/quarantine/unknown.csv.reason.txt" ||
  fail "quarantine reason names the closest feed"
stop_daemon

# --- killed (SIGKILL) while a feed file and then a rates file load, each
# just before its commit: nothing of either is applied, and after a
# restart each loads once, the rates counting the order that waited.
cat >"$work/orders_export_5.csv" <<'CSV'
Name,Email,Financial Status,Accepts Marketing,Currency,Total,Created at,Cancelled at,Refunded Amount
#1008,kim@example.com,paid,no,CHF,50.00,2024-03-22 08:00:00 +0000,,0
CSV
printf 'date,currency,rate\n2024-03-01,CHF,1.05\n' >"$work/rates-chf.csv"
before=$(sql "SELECT COUNT(*) FROM feed_orders")
export SEGMENTD_TEST_LOAD_PAUSE=30
for f in orders_export_5.csv rates-chf.csv; do
  loads=$(grep -c "test.load_paused file=$f" "$work/daemon.log" || true)
  daemon_bin=$test_bin start_daemon
  drop "$work/$f"
  wait_for_log "test.load_paused file=$f" 30 $((loads + 1))
  kill -KILL "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
  expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE original_name LIKE '%/$f'")" 0 "$f: no ledger row after SIGKILL"
  [ -f "$work/inbox/$f" ] || fail "$f left the inbox though it was not loaded"
  unset SEGMENTD_TEST_LOAD_PAUSE
  start_daemon
  wait_for_log "ingest.file .*file=[^ ]*$f status=loaded" 90
  stop_daemon
  export SEGMENTD_TEST_LOAD_PAUSE=30
done
unset SEGMENTD_TEST_LOAD_PAUSE
expect_eq "$(sql "SELECT COUNT(*) FROM feed_orders")" "$((before + 1))" "the killed feed file's order, once"
expect_eq "$(value '#1008')" "counted 52.50" "held until the killed rates file loaded, then counted"
expect_eq "$(sql "SELECT COUNT(*) FROM ingested_files WHERE original_name LIKE '%/rates-chf.csv' AND status = 'loaded'")" 1 \
  "the rates file, loaded once"
echo "ok"
