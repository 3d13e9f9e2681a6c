// The feeds library: values in local formats, encodings, header
// recognition and rows read into orders and refunds (doc/FEEDS.md).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config.h"
#include "errors.h"
#include "feed_rows.h"
#include "feed_values.h"
#include "text_encoding.h"
#include "unique_fd.h"

namespace segmentd {
namespace {

Money money(const std::string& text, bool decimal_comma = false) {
  std::string error;
  const auto m = parse_money(text, decimal_comma, error);
  if (!m) throw std::runtime_error(error);
  return *m;
}

std::string money_error(const std::string& text, bool decimal_comma = false) {
  std::string error;
  return parse_money(text, decimal_comma, error) ? "no error" : error;
}

TEST(FeedValues, AmountsInLocalFormats) {
  EXPECT_EQ(money("1234.56"), 12345600);
  EXPECT_EQ(money("1,234.56"), 12345600);
  EXPECT_EQ(money("$1,234.56"), 12345600);
  EXPECT_EQ(money("1.234,56", true), 12345600);
  EXPECT_EQ(money("1 234,56 €", true), 12345600);
  EXPECT_EQ(money("-12.5"), -125000);
  EXPECT_EQ(money("(12.50)"), -125000);
  EXPECT_EQ(money("USD 0.0001"), 1);
  EXPECT_EQ(money("0"), 0);
  EXPECT_EQ(money_error(""), "amount is empty");
  EXPECT_EQ(money_error("12.34567"), "amount '12.34567' has more than 4 decimals");
  EXPECT_EQ(money_error("abc"), "amount 'abc' is not a number");
  EXPECT_EQ(money_error("1e5"), "amount '1e5' is not a number");
  EXPECT_EQ(money_error("12;5"), "amount '12;5' is not a number");
  EXPECT_EQ(money_text(12345600), "1234.5600");
  EXPECT_EQ(money_text(-1), "-0.0001");
}

std::string utc(const std::string& text, const std::vector<std::string>& formats, const std::string& zone) {
  std::string error;
  const auto t = parse_feed_time(text, formats, zone, error);
  return t ? utc_text(*t) : "error: " + error;
}

TEST(FeedValues, TimesWithOffsetsZonesAndLocalFormats) {
  const std::vector<std::string> shopify = {"%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S"};
  EXPECT_EQ(utc("2024-01-05 10:00:00 +0100", shopify, "UTC"), "2024-01-05 09:00:00");
  EXPECT_EQ(utc("2024-02-01 23:30:00 -0500", shopify, "Europe/Berlin"), "2024-02-02 04:30:00");
  // No offset: the feed's zone, with its summer time.
  EXPECT_EQ(utc("2024-07-01 12:00:00", shopify, "Europe/Berlin"), "2024-07-01 10:00:00");
  EXPECT_EQ(utc("2024-01-01 12:00:00", shopify, "Europe/Berlin"), "2024-01-01 11:00:00");
  EXPECT_EQ(utc("05.03.2024", {"%d.%m.%Y"}, "UTC"), "2024-03-05 00:00:00");
  EXPECT_EQ(utc("Jan 5, 2024 10:00:00 PM", {"%b %d, %Y %I:%M:%S %p"}, "UTC"), "2024-01-05 22:00:00");
  // PayPal's abbreviations.
  EXPECT_EQ(utc("01/05/2024 10:00:00", {"%m/%d/%Y %H:%M:%S"}, "PST"), "2024-01-05 18:00:00");
  EXPECT_EQ(utc("2024-02-30 10:00:00", shopify, "UTC").rfind("error: date '2024-02-30 10:00:00' does not match", 0),
            0u);
  EXPECT_EQ(utc("", shopify, "UTC"), "error: date is empty");
  EXPECT_EQ(utc("2024-01-05 10:00:00 trailing", shopify, "UTC").rfind("error:", 0), 0u);
}

TEST(FeedValues, FlagsAndKeys) {
  EXPECT_EQ(parse_flag("yes"), true);
  EXPECT_EQ(parse_flag(" TRUE "), true);
  EXPECT_EQ(parse_flag("no"), false);
  EXPECT_EQ(parse_flag(""), std::nullopt);
  EXPECT_EQ(parse_flag("maybe"), std::nullopt);
  EXPECT_EQ(canonical_id("#1001"), "#1001");
  EXPECT_EQ(canonical_id("shop:alice@example.com"), "shop:alice@example.com");
  const std::string long_key = "a-very-long-customer-address@an-example-domain.com";
  EXPECT_EQ(canonical_id(long_key).size(), 32u);
  EXPECT_EQ(canonical_id(long_key)[0], '~');
  EXPECT_EQ(canonical_id(long_key), canonical_id(long_key));
  EXPECT_NE(canonical_id(long_key), canonical_id(long_key + "x"));
  EXPECT_EQ(canonical_id("müller@example.de")[0], '~');  // not ASCII
  EXPECT_EQ(canonical_id("~short")[0], '~');
  EXPECT_NE(canonical_id("~short"), "~short");  // never taken for a hashed id
  EXPECT_EQ(canonical_id("with space")[0], '~');
}

TEST(FeedEncoding, SingleByteEncodingsDecodeAndUndefinedBytesFail) {
  std::string s = "M\xfcller \x80";  // ü and € in Windows-1252
  ASSERT_TRUE(decode_to_utf8(s, FeedEncoding::Windows1252));
  EXPECT_EQ(s, "M\xc3\xbcller \xe2\x82\xac");
  std::string latin = "\xe9t\xe9";
  ASSERT_TRUE(decode_to_utf8(latin, FeedEncoding::Iso88591));
  EXPECT_EQ(latin, "\xc3\xa9t\xc3\xa9");
  std::string undefined = "x\x81y";
  EXPECT_FALSE(decode_to_utf8(undefined, FeedEncoding::Windows1252));
  std::string bad_utf8 = "M\xfcller";
  EXPECT_FALSE(decode_to_utf8(bad_utf8, FeedEncoding::Utf8));
}

std::filesystem::path scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("segmentd-feeds-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir / name;
}

TEST(FeedEncoding, Utf16FilesTranscodeAndLoneSurrogatesNameTheirLine) {
  const auto in = scratch("in16.csv"), out = scratch("out8.csv");
  std::string bytes = "\xff\xfe";  // little-endian BOM
  for (char c : std::string("a,b\n\xe9,1\n")) {
    bytes += c;
    bytes += '\0';
  }
  bytes += std::string("\x3d\xd8\x00\xde", 4);  // U+1F600 as a surrogate pair
  std::ofstream(in, std::ios::binary) << bytes;
  {
    UniqueFd fd(::open(in.c_str(), O_RDONLY));
    const auto r = transcode_utf16_file(fd.get(), out);
    ASSERT_TRUE(r.ok) << r.reason;
  }
  std::ifstream text(out, std::ios::binary);
  const std::string utf8((std::istreambuf_iterator<char>(text)), {});
  EXPECT_EQ(utf8, "a,b\n\xc3\xa9,1\n\xf0\x9f\x98\x80");
  EXPECT_EQ(std::filesystem::status(out).permissions() & std::filesystem::perms::all, std::filesystem::perms(0600));

  std::string broken = "\xff\xfe";
  for (char c : std::string("a\nb\n")) {
    broken += c;
    broken += '\0';
  }
  broken += std::string("\x00\xdc", 2);  // a low surrogate alone, on line 3
  std::ofstream(in, std::ios::binary | std::ios::trunc) << broken;
  std::filesystem::remove(out);
  UniqueFd fd(::open(in.c_str(), O_RDONLY));
  const auto r = transcode_utf16_file(fd.get(), out);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_EQ(r.reason, "a UTF-16 low surrogate without its high half");
  std::filesystem::remove_all(in.parent_path());
}

std::vector<std::string> split(const std::string& line, char delimiter = ',') {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == delimiter && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

const char* kShopifyHeader =
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Accepts Marketing,Currency,Total,Created at,"
    "Lineitem quantity,Lineitem name,Cancelled at,Refunded Amount,Id";

TEST(FeedHeader, PresetsRecogniseTheirExportsAndNameTheClosest) {
  const auto& presets = feed_presets();
  auto m = match_feed(presets, split(kShopifyHeader), "orders_export_1.csv");
  ASSERT_TRUE(m.binding) << m.error;
  EXPECT_EQ(m.binding->spec->name, "shopify_orders");
  // Stripe's older exports say "Created" and lack the converted columns.
  m = match_feed(presets, split("id,Created,Amount,Amount Refunded,Currency,Status,Customer Email"), "p.csv");
  ASSERT_TRUE(m.binding) << m.error;
  EXPECT_EQ(m.binding->spec->name, "stripe_payments");
  m = match_feed(presets, split("Name,Email,Financial Status,Currency,Created at,Cancelled at"), "x.csv");
  EXPECT_FALSE(m.binding);
  EXPECT_EQ(m.error, "header matches no feed; closest is shopify_orders, missing Total");
  // Two feeds that take the same header are refused naming both.
  std::vector<FeedSpec> two = {*feed_preset("shopify_orders"), *feed_preset("shopify_orders")};
  two[1].name = "second_shop";
  m = match_feed(two, split(kShopifyHeader), "orders_export_1.csv");
  EXPECT_FALSE(m.binding);
  EXPECT_EQ(m.error, "header matches more than one feed: shopify_orders and second_shop; narrow them with file_glob");
  two[1].file_glob = "second-*.csv";
  m = match_feed(two, split(kShopifyHeader), "orders_export_1.csv");
  ASSERT_TRUE(m.binding);
  EXPECT_EQ(m.binding->spec->name, "shopify_orders");
  EXPECT_TRUE(is_rates_header({"date", " Currency", "RATE"}));
  EXPECT_FALSE(is_rates_header({"date", "currency"}));
}

struct Rows {
  explicit Rows(const FeedSpec& spec, const std::string& header, std::string base = "EUR") : spec_(spec) {
    auto m = match_feed({spec_}, split(header, spec_.delimiter), "f.csv");
    if (!m.binding) throw std::runtime_error(m.error);
    binding_ = *m.binding;
    binding_.spec = &spec_;
    reader_ = std::make_unique<FeedRowReader>(binding_, base);
  }
  std::optional<FeedRecord> read(const std::string& line, std::string& reason) {
    auto fields = split(line, spec_.delimiter);
    return reader_->read(fields, ++line_, reason);
  }
  FeedSpec spec_;
  FeedBinding binding_;
  std::unique_ptr<FeedRowReader> reader_;
  std::uint64_t line_ = 1;
};

TEST(FeedRows, ShopifyLineItemsRefundsCancellationsAndConsent) {
  Rows rows(*feed_preset("shopify_orders"), kShopifyHeader);
  std::string reason;
  auto r = rows.read(
      "#1001, Alice@Example.COM ,paid,,fulfilled,yes,EUR,105.00,2024-01-05 10:00:00 +0100,1,Shirt,,5.00,1", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->kind, FeedRowKind::Order);
  EXPECT_EQ(r->order_id, "#1001");
  EXPECT_EQ(r->customer_key, "alice@example.com");  // the e-mail is the key, lower-cased
  EXPECT_EQ(r->amount, 1050000);
  EXPECT_EQ(r->refunded, 50000);
  EXPECT_EQ(r->currency, "");  // the base
  EXPECT_TRUE(r->status_counted);
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->consent, true);
  EXPECT_EQ(utc_text(r->purchased_at), "2024-01-05 09:00:00");
  r = rows.read("#1001,,,,,,,,,1,Hat,,,", reason);  // the order's second item
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, FeedRowKind::Ignored);
  r = rows.read("#1002,bob@example.com,pending,,,no,USD,10.00,2024-01-06 10:00:00 +0000,1,Pen,,,2", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_FALSE(r->status_counted);
  EXPECT_EQ(r->currency, "USD");
  r = rows.read("#1003,carol@example.com,paid,,,no,EUR,10.00,2024-01-06 10:00:00 +0000,1,Pen,2024-01-07,,3", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_TRUE(r->cancelled);
  r = rows.read("#1004,,paid,,,no,EUR,10.00,2024-01-06 10:00:00 +0000,1,Pen,,,4", reason);
  EXPECT_FALSE(r);
  EXPECT_EQ(reason, "no customer key (customer id and e-mail both empty)");
  r = rows.read("#1005,d@example.com,paid,,,no,EURO,10.00,2024-01-06 10:00:00 +0000,1,Pen,,,5", reason);
  EXPECT_FALSE(r);
  EXPECT_EQ(reason, "currency 'EURO' is not a 3-letter code");
  r = rows.read("#1006,d@example.com,paid,,,no,EUR,ten,2024-01-06 10:00:00 +0000,1,Pen,,,6", reason);
  EXPECT_FALSE(r);
  EXPECT_EQ(reason, "amount 'ten' is not a number");
}

TEST(FeedRows, PayPalRefundRowsPointAtTheirChargeAndMemosAreIgnored) {
  Rows rows(*feed_preset("paypal_activity"),
            "\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"Fee\",\"Net\","
            "\"From Email Address\",\"To Email Address\",\"Transaction ID\",\"Reference Txn ID\",\"Balance Impact\"",
            "USD");
  std::string reason;
  auto r = rows.read(
      "01/05/2024,10:00:00,PST,Bob,Express Checkout Payment,Completed,USD,\"1,000.00\",-30.00,970.00,"
      "bob@example.com,shop@example.com,8AB12345CD6789012,,Credit",
      reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->kind, FeedRowKind::Order);
  EXPECT_EQ(r->amount, 10000000);
  EXPECT_EQ(utc_text(r->purchased_at), "2024-01-05 18:00:00");
  r = rows.read(
      "01/09/2024,09:00:00,PST,Bob,Payment Refund,Completed,USD,-250.00,0,-250.00,shop@example.com,bob@example.com,"
      "9ZZ00000AA0000000,8AB12345CD6789012,Debit",
      reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->kind, FeedRowKind::Refund);
  EXPECT_EQ(r->amount, 2500000);
  EXPECT_EQ(r->customer_id, "8AB12345CD6789012");  // the charge it reduces
  r = rows.read(
      "01/09/2024,09:00:00,PST,Bob,Authorization,Pending,USD,10.00,0,10.00,bob@example.com,shop@example.com,"
      "7AB,,Memo",
      reason);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, FeedRowKind::Ignored);
  r = rows.read("01/09/2024,09:00:00,PST,Bank,General Withdrawal,Completed,USD,-500.00,0,-500.00,,,6AB,,Debit", reason);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, FeedRowKind::Ignored);
}

TEST(FeedRows, CustomFeedWithDecimalCommaStoreAndGuests) {
  FeedSpec erp;
  erp.name = "erp";
  erp.delimiter = ';';
  erp.decimal_comma = true;
  erp.date_formats = {"%d.%m.%Y"};
  erp.timezone = "Europe/Berlin";
  erp.store = "de";
  erp.counted_statuses = {"bezahlt", "versandt"};
  erp.columns = {{"order_id", "Belegnummer"}, {"customer_id", "Kundennummer"}, {"purchased_at", "Belegdatum"},
                 {"amount", "Betrag"},        {"refunded", "Erstattet"},       {"currency", "Währung"},
                 {"status", "Status"}};
  ASSERT_EQ(feed_spec_problem(erp), "");
  Rows rows(erp, "Belegnummer;Kundennummer;Belegdatum;Betrag;Erstattet;Währung;Status", "EUR");
  std::string reason;
  auto r = rows.read("R-1;K-7;05.03.2024;1.234,56;34,56;EUR;Bezahlt", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->order_key, "de:R-1");
  EXPECT_EQ(r->customer_key, "de:K-7");
  EXPECT_EQ(r->customer_id, "de:K-7");
  EXPECT_EQ(r->amount, 12345600);
  EXPECT_EQ(r->refunded, 345600);
  EXPECT_TRUE(r->status_counted);  // statuses compare without case
  EXPECT_EQ(utc_text(r->purchased_at), "2024-03-04 23:00:00");
  r = rows.read("R-2;0;05.03.2024;10;;EUR;bezahlt", reason);  // a guest, and no e-mail column
  EXPECT_FALSE(r);
  r = rows.read("R-3;K-7;2024-03-05;10;;EUR;bezahlt", reason);
  EXPECT_FALSE(r);
  EXPECT_EQ(reason, "date '2024-03-05' does not match the date format '%d.%m.%Y'");
}

TEST(FeedRows, StripeConvertedAmountsAndUncapturedCharges) {
  const std::string header =
      "id,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,Converted "
      "Currency,Status,Customer ID,Customer Email,Captured";
  Rows rows(*feed_preset("stripe_payments"), header, "EUR");
  std::string reason;
  auto r = rows.read("ch_1,2024-01-05 10:00,100.00,20.00,usd,92.00,18.40,eur,Paid,cus_9,a@example.com,true", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_EQ(r->currency, "USD");
  ASSERT_TRUE(r->converted_net);
  EXPECT_EQ(*r->converted_net, 736000);
  EXPECT_EQ(r->customer_key, "cus_9");
  EXPECT_TRUE(r->status_counted);
  r = rows.read("ch_2,2024-01-05 10:00,100.00,0,usd,,,,Paid,,b@example.com,false", reason);
  ASSERT_TRUE(r) << reason;
  EXPECT_FALSE(r->status_counted);              // not captured
  EXPECT_EQ(r->customer_key, "b@example.com");  // no customer id: the e-mail
}

std::string config_error(const std::string& yaml) {
  try {
    parse_config("database:\n  host: x\n" + yaml, "segmentd.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(FeedConfig, PresetsOverridesAndErrors) {
  const Config none = parse_config("database:\n  host: x\n", "x.yaml");
  EXPECT_EQ(none.currency.base, "USD");
  EXPECT_EQ(none.feeds.size(), feed_presets().size());  // unconfigured: every preset
  const Config c = parse_config(
      "database:\n  host: x\ncurrency:\n  base: EUR\nfeeds:\n  - name: shop\n    preset: shopify_orders\n"
      "    store: eu\n  - name: erp\n    delimiter: \";\"\n    decimal_comma: true\n    date_format: \"%d.%m.%Y\"\n"
      "    timezone: Europe/Berlin\n    encoding: windows-1252\n    grain: order\n"
      "    columns: {order_id: Belegnummer, customer_id: Kundennummer, purchased_at: Belegdatum, amount: Betrag}\n"
      "    counted_statuses: [Bezahlt]\n",
      "x.yaml");
  EXPECT_EQ(c.currency.base, "EUR");
  ASSERT_EQ(c.feeds.size(), 2u);
  EXPECT_EQ(c.feeds[0].name, "shop");
  EXPECT_EQ(c.feeds[0].store, "eu");
  EXPECT_EQ(c.feeds[0].columns.at("amount"), "Total");
  EXPECT_EQ(c.feeds[1].delimiter, ';');
  EXPECT_EQ(c.feeds[1].encoding, FeedEncoding::Windows1252);
  EXPECT_EQ(c.feeds[1].counted_statuses, std::vector<std::string>{"bezahlt"});
  EXPECT_EQ(config_error("currency:\n  base: eur\n"),
            "segmentd.yaml:4:9: currency.base: must be a 3-letter upper-case currency code, got \"eur\"");
  EXPECT_EQ(config_error("feeds:\n  - name: a\n    preset: shopify\n"),
            "segmentd.yaml:5:13: feeds[0].preset: \"shopify\" is not a preset (shopify_orders, woocommerce_orders, "
            "magento_orders_grid, bigcommerce_orders, stripe_payments, paypal_activity)");
  EXPECT_EQ(config_error("feeds:\n  - name: a\n    columns: {order_id: A, amount: B, purchased_at: C}\n"),
            "segmentd.yaml:5:14: feeds[0].columns: columns.customer_id or columns.email is required");
  EXPECT_EQ(config_error("feeds:\n  - name: a\n    preset: stripe_payments\n    columns: {colour: X}\n"),
            "segmentd.yaml:6:15: feeds[0].columns.colour: unknown key");
  EXPECT_EQ(config_error("feeds:\n  - name: a\n    preset: stripe_payments\n    timezone: Mars/Olympus\n"),
            "segmentd.yaml:5:13: feeds[0].preset: timezone Mars/Olympus is not a known time zone");
  EXPECT_EQ(
      config_error("feeds:\n  - name: a\n    preset: stripe_payments\n  - name: a\n    preset: paypal_activity\n"),
      "segmentd.yaml:6:11: feeds[1].name: \"a\" is used by another feed");
}

}  // namespace
}  // namespace segmentd
