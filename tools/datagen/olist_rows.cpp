#include "olist_rows.h"

namespace datagen {

void OrderFiles::headers() {
  header(customers,
         {"customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"}, true);
  header(orders,
         {"order_id", "customer_id", "order_status", "order_purchase_timestamp", "order_approved_at",
          "order_delivered_carrier_date", "order_delivered_customer_date", "order_estimated_delivery_date"},
         true);
  header(items,
         {"order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date", "price", "freight_value"},
         true);
  header(payments, {"order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"}, true);
  header(reviews,
         {"review_id", "order_id", "review_score", "review_comment_title", "review_comment_message",
          "review_creation_date", "review_answer_timestamp"},
         true);
}

OrderFacts write_order(OrderFiles& files, Rng& rng, std::uint64_t seed, const OrderSpec& spec,
                       std::string& previous_review_id) {
  const Place& place = kPlaces[spec.place_hash % kPlaces.size()];
  char zip[8];
  std::snprintf(zip, sizeof zip, "%05llu", static_cast<unsigned long long>((spec.place_hash >> 16) % 99990 + 1));

  files.customers.field(spec.customer_id, true);
  files.customers.field(spec.unique_id, true);
  files.customers.field(zip, true);
  files.customers.field(place.city);
  files.customers.field(place.state);
  files.customers.end_row();

  const char* status = spec.status;
  const std::string_view st(status);
  const std::int64_t purchase = spec.purchase;
  const std::string order_id = hex_id(seed, kOrder, spec.index);
  const bool approved = st != "created" && !(st == "canceled" && rng.chance(0.2));
  const bool shipped = st == "delivered" || st == "shipped" || (st == "canceled" && rng.chance(0.1));
  const bool delivered = st == "delivered" && !rng.chance(0.0001);
  const auto approved_at = purchase + rng.between(600, 48 * 3600);
  const auto carrier_at = approved_at + rng.between(3600, 6 * 86400);
  const auto delivered_at = carrier_at + rng.between(86400, 25 * 86400);
  files.orders.field(order_id, rng.chance(0.5));
  files.orders.field(spec.customer_id, rng.chance(0.5));
  files.orders.field(status);
  files.orders.field(timestamp(purchase));
  files.orders.field(approved ? timestamp(approved_at) : "");
  files.orders.field(shipped ? timestamp(carrier_at) : "");
  files.orders.field(delivered ? timestamp(delivered_at) : "");
  const auto estimated = midnight(purchase + rng.between(15, 45) * 86400);
  files.orders.field(timestamp(estimated));
  files.orders.end_row();

  // Items: none for most unavailable orders and some canceled ones.
  std::uint64_t item_count = 1;
  if ((st == "unavailable" && rng.chance(0.98)) || (st == "canceled" && rng.chance(0.25)) || st == "created") {
    item_count = 0;
  } else if (rng.chance(0.1)) {
    item_count = rng.chance(0.75) ? 2 : static_cast<std::uint64_t>(rng.between(3, 6));
  }
  std::int64_t items_cents = 0;
  for (std::uint64_t k = 1; k <= item_count; ++k) {
    const auto price = static_cast<std::int64_t>(std::exp(2.3 + 2.6 * rng.unit()) * 100.0) + 85;
    const auto freight = rng.between(0, 1) == 0 ? rng.between(500, 2500) : rng.between(700, 6000);
    items_cents += price + freight;
    files.items.field(order_id, rng.chance(0.5));
    files.items.field(std::to_string(k));
    files.items.field(hex_id(seed, kProduct, rng.below(spec.products)), rng.chance(0.5));
    files.items.field(hex_id(seed, kSeller, rng.below(spec.sellers)), rng.chance(0.5));
    files.items.field(timestamp(purchase + rng.between(2, 8) * 86400 + rng.between(0, 86399)));
    files.items.field(money(price));
    files.items.field(money(freight));
    files.items.end_row();
  }

  // Payments: one row mostly; vouchers split some; a few orders have none.
  if (!rng.chance(0.001)) {
    std::int64_t total = items_cents > 0 ? items_cents : rng.between(1000, 30000);
    std::uint64_t sequential = 1;
    if (rng.chance(0.03)) {
      const auto vouchers = static_cast<int>(rng.between(1, 4));
      for (int v = 0; v < vouchers && total > 100; ++v) {
        const std::int64_t part = rng.between(0, total / 2);
        files.payments.field(order_id, rng.chance(0.3));
        files.payments.field(std::to_string(sequential++));
        files.payments.field("voucher");
        files.payments.field("1");
        files.payments.field(money(part));
        files.payments.end_row();
        total -= part;
      }
    }
    const double u = rng.unit();
    const char* type = u < 0.76 ? "credit_card" : u < 0.96 ? "boleto" : u < 0.985 ? "voucher" : "debit_card";
    files.payments.field(order_id, rng.chance(0.3));
    files.payments.field(std::to_string(sequential));
    files.payments.field(type);
    files.payments.field(std::string_view(type) == "credit_card" ? std::to_string(rng.between(1, 10)) : "1");
    files.payments.field(money(total));
    files.payments.end_row();
  }

  // Reviews: most orders; some review_ids repeat across orders, as in the
  // real file; some texts span several lines (CRLF inside quotes).
  if (rng.chance(0.992)) {
    std::string review_id =
        (!previous_review_id.empty() && rng.chance(0.0083)) ? previous_review_id : hex_id(seed, kReview, spec.index);
    const double s = rng.unit();
    const int score = s < 0.577 ? 5 : s < 0.77 ? 4 : s < 0.85 ? 3 : s < 0.88 ? 2 : 1;
    std::string title = rng.chance(0.12) ? (score >= 4 ? "recomendo" : "Não recomendo") : "";
    std::string message;
    if (rng.chance(0.42)) {
      message = kMessages[rng.below(kMessages.size())];
      if (rng.chance(0.09)) message += std::string("\r\n") + kMessages[rng.below(kMessages.size())];
    }
    const auto created = midnight((delivered ? delivered_at : purchase + 20 * 86400) + 86400);
    files.reviews.field(review_id, true);
    files.reviews.field(order_id, true);
    files.reviews.field(std::to_string(score));
    files.reviews.field(title);
    files.reviews.field(message);
    files.reviews.field(timestamp(created));
    files.reviews.field(timestamp(created + rng.between(3600, 5 * 86400)));
    files.reviews.end_row();
    previous_review_id = review_id;
  }
  OrderFacts facts;
  facts.index = spec.index;
  facts.order_id = order_id;
  facts.customer_id = spec.customer_id;
  facts.status = status;
  facts.purchase = purchase;
  facts.approved_at = approved_at;
  facts.carrier_at = carrier_at;
  facts.estimated = estimated;
  facts.approved = approved;
  facts.shipped = shipped;
  return facts;
}

}  // namespace datagen
