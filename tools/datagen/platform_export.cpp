// The generated orders as a platform's export (platform_export.h).
//
// Each order's value is what segmentd's model gives the Olist files (the
// sum of its payments, else of its items' price and freight, else 0), in
// BRL. Every 20th counted order is partly refunded: the export shows the
// value plus the refund and the refund beside it, so the net is the same.
// Where the layout carries a currency, every 10th order is in USD at a
// rate of 0.5 BRL (rates.csv): twice the value, converting back exactly.
// Orders that do not count (not delivered or shipped) keep their status
// in the platform's words; cancelled ones carry a cancellation.
#include "platform_export.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "csv_writer.h"
#include "olist_rows.h"

namespace datagen {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\r' || quoted) {
      out.back() += c;
    }
  }
  return out;
}

template <typename F>
void each_row(const std::string& path, F f) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty()) f(split_csv(line));
  }
}

std::int64_t cents(const std::string& decimal) {
  const auto dot = decimal.find('.');
  std::int64_t whole = std::stoll(decimal.substr(0, dot));
  std::int64_t frac = 0;
  if (dot != std::string::npos) {
    std::string f = decimal.substr(dot + 1);
    f.resize(2, '0');
    frac = std::stoll(f);
  }
  return whole * 100 + frac;
}

struct Order {
  std::string id, unique, status, purchased;  // purchased: "YYYY-MM-DD HH:MM:SS"
  std::int64_t value = 0;                     // cents, BRL
  std::size_t items = 0;
};

// "YYYY-MM-DD HH:MM:SS" -> "MM/DD/YYYY" and "HH:MM:SS"
std::string us_date(const std::string& t) {
  return t.substr(5, 2) + "/" + t.substr(8, 2) + "/" + t.substr(0, 4);
}
std::string eu_date(const std::string& t) {
  return t.substr(8, 2) + "/" + t.substr(5, 2) + "/" + t.substr(0, 4);
}

const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
std::string magento_date(const std::string& t) {
  const int month = std::stoi(t.substr(5, 2)), day = std::stoi(t.substr(8, 2)), hour = std::stoi(t.substr(11, 2));
  const int h12 = hour % 12 == 0 ? 12 : hour % 12;
  return std::string(kMonths[month - 1]) + " " + std::to_string(day) + ", " + t.substr(0, 4) + " " +
         std::to_string(h12) + t.substr(13, 6) + (hour < 12 ? " AM" : " PM");
}

bool counted(const std::string& status) {
  return status == "delivered" || status == "shipped";
}

class Exporter {
 public:
  Exporter(const std::string& format, const std::string& path) : format_(format), w_(path, false, false) {}

  void header() {
    if (format_ == "shopify") {
      row({"Name",
           "Email",
           "Financial Status",
           "Paid at",
           "Fulfillment Status",
           "Fulfilled at",
           "Accepts Marketing",
           "Currency",
           "Subtotal",
           "Shipping",
           "Taxes",
           "Total",
           "Discount Code",
           "Discount Amount",
           "Shipping Method",
           "Created at",
           "Lineitem quantity",
           "Lineitem name",
           "Lineitem price",
           "Cancelled at",
           "Payment Method",
           "Refunded Amount",
           "Vendor",
           "Id"});
    } else if (format_ == "woocommerce") {
      row({"order_id", "order_number", "order_date", "paid_date", "status", "order_total", "order_subtotal",
           "order_currency", "order_refund", "customer_id", "customer_user", "customer_email", "billing_first_name",
           "line_item_1"});
    } else if (format_ == "magento") {
      row({"ID", "Purchase Point", "Purchase Date", "Bill-to Name", "Ship-to Name", "Grand Total (Base)",
           "Grand Total (Purchased)", "Status", "Customer Email", "Total Refunded"});
    } else if (format_ == "bigcommerce") {
      row({"Order ID", "Customer ID", "Customer Name", "Customer Email", "Order Date", "Order Status",
           "Order Total (inc tax)", "Order Currency Code", "Exchange Rate", "Refund Amount"});
    } else if (format_ == "stripe") {
      row({"id", "Description", "Seller Message", "Created (UTC)", "Amount", "Amount Refunded", "Currency",
           "Converted Amount", "Converted Amount Refunded", "Fee", "Tax", "Converted Currency", "Mode", "Status",
           "Statement Descriptor", "Customer ID", "Customer Description", "Customer Email", "Captured"});
    } else if (format_ == "paypal") {
      row({"Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross", "Fee", "Net",
           "From Email Address", "To Email Address", "Transaction ID", "Reference Txn ID", "Balance Impact"});
    } else {
      throw std::runtime_error("unknown --format " + format_);
    }
  }

  void order(const Order& o, PlatformCounts& c) {
    ++c.orders;
    // Decided by the order's id, so a restated order keeps its refund,
    // currency and number in a later day's export.
    const std::uint64_t h = mix(std::stoull(o.id.substr(0, 15), nullptr, 16));
    const bool counts = counted(o.status);
    const bool cancelled = o.status == "canceled";
    const bool refund = counts && h % 20 == 0;
    const bool foreign = has_currency() && h % 10 == 3;
    const std::string number = std::to_string(h % 1000000000);
    const std::int64_t refund_cents = refund ? 500 : 0;  // a 5.00 refund on top of the value
    const std::int64_t factor = foreign ? 2 : 1;
    const std::string total = money((o.value + refund_cents) * factor);
    const std::string refunded = money(refund_cents * factor);
    const std::string currency = foreign ? "USD" : "BRL";
    c.refunded += refund;
    c.cancelled += cancelled;
    c.foreign += foreign;
    const std::string email = o.unique.substr(0, 16) + "@example.com";
    const std::string key = o.id.substr(0, 16);
    const std::string& t = o.purchased;
    if (format_ == "shopify") {
      const std::string financial = cancelled ? "voided" : !counts ? "pending" : refund ? "partially_refunded" : "paid";
      const std::size_t lines = std::max<std::size_t>(1, o.items);
      for (std::size_t i = 0; i < lines; ++i) {
        const bool first = i == 0;
        row({"#" + key,
             first ? email : "",
             first ? financial : "",
             "",
             "",
             "",
             first ? "yes" : "",
             first ? currency : "",
             "",
             "",
             "",
             first ? total : "",
             "",
             "",
             "",
             first ? t + " +0000" : "",
             "1",
             "Item " + std::to_string(i + 1),
             "1.00",
             first && cancelled ? t + " +0000" : "",
             "",
             first ? refunded : "",
             "",
             first ? number : ""});
      }
    } else if (format_ == "woocommerce") {
      const std::string status = cancelled ? "cancelled" : !counts ? "pending" : "completed";
      // A sixteenth of the customers check out as guests (customer_id 0),
      // always: a customer is one key in every order.
      const bool guest = o.unique[0] == '0';
      row({number, key, t, t, status, total, total, currency, refunded, guest ? "0" : o.unique.substr(0, 20), "", email,
           "Ana", "name:Item|quantity:1"});
    } else if (format_ == "magento") {
      const std::string status = cancelled ? "canceled" : !counts ? "pending" : "complete";
      row({key, "Main Website", magento_date(t), "Ana", "Ana", "R$" + money(o.value + refund_cents),
           "R$" + money(o.value + refund_cents), status, email, "R$" + money(refund_cents)});
    } else if (format_ == "bigcommerce") {
      const std::string status = cancelled ? "Cancelled"
                                 : !counts ? "Pending"
                                 : refund  ? "Partially Refunded"
                                           : "Completed";
      const bool guest = o.unique[0] == '0';
      row({key, guest ? "0" : o.unique.substr(0, 20), "Ana", email, eu_date(t), status, total, currency,
           foreign ? "2.0000000000" : "1.0000000000", refunded});
    } else if (format_ == "stripe") {
      const std::string status = cancelled ? "Failed" : "Paid";
      // Not counted but not cancelled: an uncaptured charge.
      const std::string captured = counts ? "true" : "false";
      row({"ch_" + key, "Order", "Payment complete.", t.substr(0, 16), total, refunded, foreign ? "usd" : "brl",
           money(o.value + refund_cents), money(refund_cents), "0.00", "0.00", "brl", "Live", status, "SHOP",
           "cus_" + o.unique.substr(0, 20), "", email, captured});
    } else if (format_ == "paypal") {
      const std::string status = cancelled ? "Denied" : !counts ? "Pending" : "Completed";
      const std::string gross = money((o.value + refund_cents) * factor);
      row({us_date(t), t.substr(11), "UTC", "Ana", "Express Checkout Payment", status, currency, gross, "0.00", gross,
           email, "shop@example.com", key, "", "Credit"});
      if (refund) {
        // The refund as its own row, pointing at the payment.
        row({us_date(t), t.substr(11), "UTC", "Ana", "Payment Refund", "Completed", currency,
             "-" + money(refund_cents * factor), "0.00", "-" + money(refund_cents * factor), "shop@example.com", email,
             "R" + key.substr(1), key, "Debit"});
      }
      if (h % 50 == 7) {  // an authorization memo: no money
        row({us_date(t), t.substr(11), "UTC", "Ana", "General Authorization", "Pending", currency, gross, "0.00", gross,
             email, "shop@example.com", "M" + key.substr(1), "", "Memo"});
      }
    }
  }

  bool has_currency() const { return format_ != "magento"; }
  std::size_t rows() const { return w_.rows(); }

 private:
  void row(std::initializer_list<std::string> fields) {
    for (const auto& f : fields) w_.field(f);
    w_.end_row();
  }
  std::string format_;
  CsvWriter w_;
};

}  // namespace

PlatformCounts generate_platform(const Options& options, const std::string& format) {
  namespace fs = std::filesystem;
  const fs::path scratch = fs::path(options.out_dir) / ".olist-scratch";
  fs::remove_all(scratch);
  Options base = options;
  base.out_dir = (scratch / "base").string();
  base.orders_only = true;
  base.delta_day = 0;
  fs::create_directories(base.out_dir);
  generate(base);
  // A day's delta: its files, and the days' before it, on top of the
  // base's (keyed rows replace), since a day restates earlier days' orders.
  std::vector<fs::path> days;
  for (unsigned d = 1; d <= options.delta_day; ++d) {
    Options day = options;
    day.delta_day = d;
    day.out_dir = (scratch / ("delta-" + std::to_string(d))).string();
    fs::create_directories(day.out_dir);
    DeltaCounts changes;
    generate_delta(day, changes);
    days.push_back(day.out_dir);
  }
  const fs::path delta = days.empty() ? fs::path() : days.back();
  const auto both = [&](const char* file, const auto& f) {
    each_row((fs::path(base.out_dir) / file).string(), f);
    for (const auto& d : days) each_row((d / file).string(), f);
  };

  std::unordered_map<std::string, std::string> unique_of;  // customer_id -> unique
  both("olist_customers_dataset.csv", [&](const std::vector<std::string>& f) { unique_of[f[0]] = f[1]; });
  std::unordered_map<std::string, std::int64_t> payment;  // order#sequence -> cents
  both("olist_order_payments_dataset.csv",
       [&](const std::vector<std::string>& f) { payment[f[0] + "#" + f[1]] = cents(f[4]); });
  std::unordered_map<std::string, std::int64_t> paid;  // order -> cents
  for (const auto& [key, value] : payment) paid[key.substr(0, key.find('#'))] += value;
  payment.clear();
  std::unordered_map<std::string, std::pair<std::int64_t, std::size_t>> items;  // order -> cents, count
  std::unordered_map<std::string, std::int64_t> item_price;                     // order#item -> cents
  both("olist_order_items_dataset.csv",
       [&](const std::vector<std::string>& f) { item_price[f[0] + "#" + f[1]] = cents(f[5]) + cents(f[6]); });
  for (const auto& [key, value] : item_price) {
    auto& e = items[key.substr(0, key.find('#'))];
    e.first += value;
    ++e.second;
  }
  item_price.clear();

  // The orders to write: the base's, or the delta's orders file and the
  // orders whose payments the delta restated (from the base's rows).
  std::vector<std::vector<std::string>> rows;
  if (delta.empty()) {
    each_row((fs::path(base.out_dir) / "olist_orders_dataset.csv").string(),
             [&](const std::vector<std::string>& f) { rows.push_back(f); });
  } else {
    std::unordered_map<std::string, bool> wanted;  // order -> in the delta's orders file
    each_row((delta / "olist_orders_dataset.csv").string(), [&](const std::vector<std::string>& f) {
      rows.push_back(f);
      wanted[f[0]] = true;
    });
    each_row((delta / "olist_order_payments_dataset.csv").string(),
             [&](const std::vector<std::string>& f) { wanted.emplace(f[0], false); });
    // Their newest rows before this day: the base's, then each earlier day's.
    std::unordered_map<std::string, std::vector<std::string>> earlier;
    const auto keep = [&](const std::vector<std::string>& f) {
      const auto it = wanted.find(f[0]);
      if (it != wanted.end() && !it->second) earlier[f[0]] = f;
    };
    each_row((fs::path(base.out_dir) / "olist_orders_dataset.csv").string(), keep);
    for (std::size_t d = 0; d + 1 < days.size(); ++d) each_row((days[d] / "olist_orders_dataset.csv").string(), keep);
    for (auto& [id, f] : earlier) rows.push_back(std::move(f));
  }

  PlatformCounts counts;
  counts.file = (fs::path(options.out_dir) / (format + "-orders.csv")).string();
  {
    Exporter out(format, counts.file);
    out.header();
    for (const auto& f : rows) {
      Order o;
      o.id = f[0];
      o.unique = unique_of.at(f[1]);
      o.status = f[2];
      o.purchased = f[3];
      const auto p = paid.find(o.id);
      const auto i = items.find(o.id);
      o.value = p != paid.end() ? p->second : i != items.end() ? i->second.first : 0;
      o.items = i != items.end() ? i->second.second : 0;
      out.order(o, counts);
    }
    counts.rows = out.rows() - 1;
    if (out.has_currency()) {
      CsvWriter rates((fs::path(options.out_dir) / "rates.csv").string(), false, false);
      for (const char* f : {"date", "currency", "rate"}) rates.field(f);
      rates.end_row();
      for (const char* f : {"2016-01-01", "USD", "0.5"}) rates.field(f);
      rates.end_row();
    }
  }
  fs::remove_all(scratch);
  return counts;
}

}  // namespace datagen
