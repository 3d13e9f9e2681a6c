#!/usr/bin/env bash
# segmentd explain: five feed customers whose R, F and M scores are 1..5
# each (ntile over five), worked out by hand: alice is R5 F3 M4, so
# Champions (F 3 not in 4-5), Loyal Customers (R 5 not in 3-4) and New
# Customers (F 3 not in 1) do not match and Potential Loyalists does; her
# orders include every reason an order does not count (a status the feed
# does not count, a cancellation, no exchange rate) and a refund. Also the
# history across two refreshes, an unknown customer (exit 1), ids from
# stdin, a known customer without counted orders, and text output.
. "$(dirname "$0")/lib.sh"
write_config 'currency:
  base: EUR
feeds:
  - name: shop
    grain: order
    date_format: "%Y-%m-%d"
    timezone: UTC
    columns: {order_id: Order, customer_id: Customer, purchased_at: Date, amount: Amount, refunded: Refunded, currency: Currency, status: Status, cancelled_at: Cancelled}
    counted_statuses: [paid]'
create_database
cli() { "$bin" --config "$work/segmentd.yaml" "$@" 2>>"$work/cli.log"; }
cat >"$work/orders.csv" <<'CSV'
Order,Customer,Date,Amount,Refunded,Currency,Status,Cancelled
B1,bob,2024-01-01,10.00,0,EUR,paid,
C1,carol,2024-02-01,20.00,0,EUR,paid,
C2,carol,2024-02-02,20.00,0,EUR,paid,
D1,dave,2024-03-01,30.00,0,EUR,paid,
D2,dave,2024-03-02,30.00,0,EUR,paid,
D3,dave,2024-03-03,30.00,0,EUR,paid,
E1,erin,2024-04-01,40.00,0,EUR,paid,
E2,erin,2024-04-02,40.00,0,EUR,paid,
E3,erin,2024-04-03,40.00,0,EUR,paid,
E4,erin,2024-04-04,40.00,0,EUR,paid,
A1,alice,2024-05-01,100.00,0,EUR,paid,
A2,alice,2024-05-02,50.00,20.00,EUR,paid,
A3,alice,2024-05-03,70.00,0,EUR,pending,
A4,alice,2024-05-04,80.00,0,EUR,paid,2024-05-05
A5,alice,2024-05-05,90.00,0,USD,paid,
Z1,zoe,2024-05-06,15.00,0,EUR,pending,
CSV
cli ingest "$work/orders.csv" >"$work/out.txt" || fail "ingest: $(cat "$work/out.txt")"
cli refresh >/dev/null || fail "first refresh"
cli refresh --full >/dev/null || fail "second refresh"
cli explain --json alice >"$work/alice.json" || fail "explain alice"
python3 - "$work/alice.json" <<'PY' || fail "alice's explanation: $(cat "$work/alice.json")"
import json, sys
[e] = json.load(open(sys.argv[1]))
assert e["segmented"] and e["segment"] == "Potential Loyalists", e.get("segment")
assert e["scores"] == {"r": 5, "f": 3, "m": 4}, e["scores"]
assert (e["frequency"], e["monetary"]) == ("2", "130.00"), (e["frequency"], e["monetary"])
reasons = {o["order_id"]: o["reason"] for o in e["orders"]}
assert reasons["A1"] == "counted: 100.00", reasons["A1"]
assert reasons["A2"].startswith("counted: 30.00 (50.0000 EUR less 20.0000 refunded"), reasons["A2"]
assert reasons["A3"] == "not counted: status 'pending' is not a counted status of feed shop", reasons["A3"]
assert reasons["A4"] == "not counted: cancelled", reasons["A4"]
assert reasons["A5"] == "not counted: held: no exchange rate for USD on or before 2024-05-05", reasons["A5"]
assert [o["counted"] for o in e["orders"]] == [True, True, False, False, False]
verdicts = [(r["segment"], r["verdict"], r["why"]) for r in e["rules"]]
assert verdicts[0] == ("Champions", "no match", "R 5 in 5, F 3 not in 4-5, M 4 in 1-5"), verdicts[0]
assert verdicts[1] == ("Loyal Customers", "no match", "R 5 not in 3-4, F 3 not in 4-5, M 4 in 1-5"), verdicts[1]
assert verdicts[2] == ("New Customers", "no match", "R 5 in 4-5, F 3 not in 1, M 4 in 1-5"), verdicts[2]
assert verdicts[3] == ("Potential Loyalists", "matched", "R 5 in 3-5, F 3 in 2-3, M 4 in 1-5"), verdicts[3]
assert all(v[1] == "not reached" for v in verdicts[4:]), verdicts[4:]
# ntile over five: score k begins at the k-th customer of each order.
cut = e["cut_offs"]
assert cut["r"]["score_begins"]["5"] == "from last purchase day 2024-05-02 (customer alice)", cut["r"]
assert cut["f"]["score_begins"]["3"] == "from frequency 2, monetary 130.00 (customer alice)", cut["f"]
assert cut["m"]["score_begins"]["5"] == "from monetary 160.00 (customer erin)", cut["m"]
assert cut["r"]["customer_key"] == "last purchase day 2024-05-02", cut["r"]
assert [h["segment"] for h in e["history"]] == ["Potential Loyalists"] * 2, e["history"]
assert e["history"][0]["run_id"] < e["history"][1]["run_id"] == e["run_id"], e["history"]
PY
# Bob (R1 F1 M1): Lost Customers, after five rules that do not match.
cli explain --json bob | python3 -c '
import json, sys
[e] = json.load(sys.stdin)
assert e["segment"] == "Lost Customers", e["segment"]
v = [r["verdict"] for r in e["rules"]]
assert v[:5] == ["no match"] * 4 + ["matched"], v
' || fail "bob's rules"

# Unknown: a clear error and exit 1, the known ones still explained.
rc=0
"$bin" --config "$work/segmentd.yaml" explain --json bob nobody >"$work/out.json" 2>"$work/err.txt" || rc=$?
expect_eq "$rc" 1 "exit status with an unknown customer"
grep -q "unknown customer 'nobody'" "$work/err.txt" || fail "unknown customer message: $(cat "$work/err.txt")"
expect_eq "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$work/out.json")" 1 "bob still explained"
# Ids from stdin, one per line.
printf 'alice\r\ncarol\n\n' | cli explain --json >"$work/stdin.json" || fail "explain from stdin"
expect_eq "$(python3 -c 'import json, sys; print(",".join(e["customer_unique_id"] for e in json.load(open(sys.argv[1]))))' "$work/stdin.json")" \
  "alice,carol" "customers from stdin"
# Zoe is known but has no counted order.
cli explain --json zoe | python3 -c '
import json, sys
[e] = json.load(sys.stdin)
assert not e["segmented"] and "segment" not in e, e
assert e["orders"][0]["reason"].startswith("not counted: status"), e["orders"]
assert {r["verdict"] for r in e["rules"]} == {"not scored"}, e["rules"]
' || fail "zoe"
# The text form says the same.
cli explain alice >"$work/alice.txt" || fail "explain text"
grep -q "^  segment Potential Loyalists (RFM 534)" "$work/alice.txt" &&
  grep -q "^    4. Potential Loyalists: matched (R 5 in 3-5, F 3 in 2-3, M 4 in 1-5)" "$work/alice.txt" &&
  grep -q "A5 .*not counted: held: no exchange rate for USD" "$work/alice.txt" || fail "text form: $(cat "$work/alice.txt")"
echo "explain: ok"
