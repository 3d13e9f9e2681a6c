#include <algorithm>
#include <vector>

#include "generator.h"
#include "olist_rows.h"

namespace datagen {
namespace {

// A day's new orders are a hundredth of the base's: a shop's daily export.
constexpr double kDailyShare = 0.01;
// Of a day's new orders, the ones placed by a customer who already bought.
constexpr double kReturningShare = 0.10;
constexpr std::int64_t kDay = 86400;

// One day after the purchase: most orders are on their way.
const char* pick_fresh_status(Rng& rng) {
  const double u = rng.unit();
  return u < 0.55   ? "shipped"
         : u < 0.80 ? "delivered"
         : u < 0.88 ? "invoiced"
         : u < 0.94 ? "processing"
         : u < 0.97 ? "approved"
         : u < 0.99 ? "canceled"
                    : "unavailable";
}

struct Base {
  std::uint64_t seed, orders, products, sellers, per_day;
};

Base base_of(const Options& o) {
  const auto orders = static_cast<std::uint64_t>(std::llround(kOrdersAt1x * o.scale));
  return {
      o.seed, orders, std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(kProductsAt1x * o.scale))),
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(kSellersAt1x * o.scale))),
      std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(static_cast<double>(orders) * kDailyShare)))};
}

// Day `day`'s new orders, written to `files`: the same for a (base, day)
// every time, so a later day can re-derive them to change their status.
std::vector<OrderFacts> day_orders(const Base& b, unsigned day, OrderFiles& files) {
  Rng rng(mix(b.seed ^ mix(kDelta * 1000003 + day)));
  const std::int64_t start = kBaseEnd + static_cast<std::int64_t>(day - 1) * kDay;
  std::vector<OrderFacts> out;
  std::string previous_review_id;
  for (std::uint64_t j = 0; j < b.per_day; ++j) {
    OrderSpec spec;
    spec.index = b.orders + (day - 1) * b.per_day + j;
    spec.products = b.products;
    spec.sellers = b.sellers;
    spec.customer_id = hex_id(b.seed, kCustomer, spec.index);
    // Returning customers are drawn from the base's first 90%, all of
    // which exist whatever the repeat draws were.
    const bool returning = rng.chance(kReturningShare);
    const std::uint64_t unique = returning ? rng.below(std::max<std::uint64_t>(1, b.orders * 9 / 10)) : spec.index;
    spec.unique_id = hex_id(b.seed, returning ? kUnique : kDeltaUnique, unique);
    spec.place_hash = mix(b.seed ^ mix(kPlace * 7919 + unique));
    spec.status = pick_fresh_status(rng);
    spec.purchase = start + static_cast<std::int64_t>(rng.below(kDay));
    out.push_back(write_order(files, rng, b.seed, spec, previous_review_id));
  }
  return out;
}

struct Writers {
  CsvWriter customers, orders, items, payments, reviews;
  OrderFiles files{customers, orders, items, payments, reviews};
  explicit Writers(const std::string& dir)
      : customers(dir + "olist_customers_dataset.csv", false, false),
        orders(dir + "olist_orders_dataset.csv", false, false),
        items(dir + "olist_order_items_dataset.csv", false, false),
        payments(dir + "olist_order_payments_dataset.csv", false, false),
        reviews(dir + "olist_order_reviews_dataset.csv", true, false) {}
};

// Writers that discard: re-deriving an earlier day.
struct Discard {
  CsvWriter a{"/dev/null", false, false}, b{"/dev/null", false, false}, c{"/dev/null", false, false},
      d{"/dev/null", false, false}, e{"/dev/null", false, false};
  OrderFiles files{a, b, c, d, e};
};

}  // namespace

Counts generate_delta(const Options& o, DeltaCounts& changes) {
  const Base b = base_of(o);
  Writers w(o.out_dir + "/");
  w.files.headers();
  day_orders(b, o.delta_day, w.files);

  // Orders of the last five days that were shipped arrive (2% are canceled
  // instead), each on a day of its own; of yesterday's orders, 2% have
  // their first payment restated.
  const std::int64_t today = kBaseEnd + static_cast<std::int64_t>(o.delta_day - 1) * kDay;
  for (unsigned earlier = o.delta_day > 5 ? o.delta_day - 5 : 1; earlier < o.delta_day; ++earlier) {
    Discard discard;
    for (const OrderFacts& f : day_orders(b, earlier, discard.files)) {
      const std::uint64_t h = mix(b.seed ^ mix(kDelta * 7919 ^ f.index));
      if (f.status == "shipped" && earlier + 1 + h % 5 == o.delta_day) {
        const bool canceled = (h >> 8) % 100 < 2;
        w.orders.field(f.order_id);
        w.orders.field(f.customer_id);
        w.orders.field(canceled ? "canceled" : "delivered");
        w.orders.field(timestamp(f.purchase));
        w.orders.field(f.approved ? timestamp(f.approved_at) : "");
        w.orders.field(f.shipped ? timestamp(f.carrier_at) : "");
        w.orders.field(canceled ? "" : timestamp(today + static_cast<std::int64_t>((h >> 16) % kDay)));
        w.orders.field(timestamp(f.estimated));
        w.orders.end_row();
        ++changes.status_updates;
      }
      if (earlier + 1 == o.delta_day && (h >> 24) % 100 < 2) {
        w.payments.field(f.order_id);
        w.payments.field("1");
        w.payments.field("credit_card");
        w.payments.field(std::to_string(1 + (h >> 32) % 10));
        w.payments.field(money(1000 + static_cast<std::int64_t>((h >> 40) % 50000)));
        w.payments.end_row();
        ++changes.payments_changed;
      }
    }
  }
  Counts counts;
  counts.customers = w.customers.rows() - 1;
  counts.orders = w.orders.rows() - 1;
  counts.order_items = w.items.rows() - 1;
  counts.order_payments = w.payments.rows() - 1;
  counts.order_reviews = w.reviews.rows() - 1;
  return counts;
}

}  // namespace datagen
