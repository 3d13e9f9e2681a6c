#include "generator.h"

#include <date/date.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "csv_writer.h"

namespace datagen {
namespace {

constexpr double kOrdersAt1x = 99441;
constexpr double kProductsAt1x = 32951;
constexpr double kSellersAt1x = 3095;
constexpr double kGeolocationAt1x = 1000163;
// Share of orders placed by a customer_unique_id that ordered before: about
// 3% of customers order more than once, as in the real data.
constexpr double kRepeatOrderShare = 0.0336;

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A fixed algorithm (not std:: distributions, whose output differs between
// standard libraries) so a seed means the same files everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix(state_++); }
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }

 private:
  std::uint64_t state_;
};

// 32 hex digits derived from (seed, kind, index): any id can be recomputed
// from its index, which is what keeps memory flat.
std::string hex_id(std::uint64_t seed, std::uint64_t kind, std::uint64_t index) {
  static const char* digits = "0123456789abcdef";
  std::string out(32, '0');
  std::uint64_t a = mix(seed ^ mix(kind * 0x100000001b3ULL ^ index));
  std::uint64_t b = mix(a ^ 0x5851f42d4c957f2dULL);
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(i)] = digits[(a >> (i * 4)) & 0xf];
    out[static_cast<std::size_t>(16 + i)] = digits[(b >> (i * 4)) & 0xf];
  }
  return out;
}

enum Kind : std::uint64_t { kOrder = 1, kCustomer, kUnique, kProduct, kSeller, kReview, kPlace };

std::string timestamp(std::int64_t epoch_seconds) {
  using namespace date;
  const auto tp = sys_seconds{std::chrono::seconds{epoch_seconds}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<std::chrono::seconds> t{tp - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<unsigned>(t.hours().count()), static_cast<unsigned>(t.minutes().count()),
                static_cast<unsigned>(t.seconds().count()));
  return buf;
}

std::int64_t midnight(std::int64_t epoch_seconds) {
  return epoch_seconds - epoch_seconds % 86400;
}

std::string money(std::int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}

struct Place {
  const char* city;
  const char* state;
};
constexpr std::array<Place, 16> kPlaces = {{{"sao paulo", "SP"},
                                            {"rio de janeiro", "RJ"},
                                            {"belo horizonte", "MG"},
                                            {"brasilia", "DF"},
                                            {"curitiba", "PR"},
                                            {"campinas", "SP"},
                                            {"porto alegre", "RS"},
                                            {"salvador", "BA"},
                                            {"guarulhos", "SP"},
                                            {"sao bernardo do campo", "SP"},
                                            {"niteroi", "RJ"},
                                            {"santo andre", "SP"},
                                            {"osasco", "SP"},
                                            {"goiania", "GO"},
                                            {"sao jose dos campos", "SP"},
                                            {"florianópolis", "SC"}}};

struct Category {
  const char* pt;
  const char* en;
};
constexpr std::array<Category, 24> kCategories = {{{"beleza_saude", "health_beauty"},
                                                   {"informatica_acessorios", "computers_accessories"},
                                                   {"automotivo", "auto"},
                                                   {"cama_mesa_banho", "bed_bath_table"},
                                                   {"moveis_decoracao", "furniture_decor"},
                                                   {"esporte_lazer", "sports_leisure"},
                                                   {"perfumaria", "perfumery"},
                                                   {"utilidades_domesticas", "housewares"},
                                                   {"telefonia", "telephony"},
                                                   {"relogios_presentes", "watches_gifts"},
                                                   {"alimentos_bebidas", "food_drink"},
                                                   {"bebes", "baby"},
                                                   {"papelaria", "stationery"},
                                                   {"brinquedos", "toys"},
                                                   {"eletronicos", "electronics"},
                                                   {"ferramentas_jardim", "garden_tools"},
                                                   {"fashion_bolsas_e_acessorios", "fashion_bags_accessories"},
                                                   {"eletroportateis", "small_appliances"},
                                                   {"consoles_games", "consoles_games"},
                                                   {"audio", "audio"},
                                                   {"livros_tecnicos", "books_technical"},
                                                   {"pet_shop", "pet_shop"},
                                                   {"musica", "music"},
                                                   {"artes", "art"}}};

constexpr std::array<const char*, 8> kStatuses = {"delivered", "shipped",    "canceled", "unavailable",
                                                  "invoiced",  "processing", "created",  "approved"};
// Real shares per million orders: delivered 970,2xx ... approved 20.
constexpr std::array<double, 8> kStatusShare = {0.97020, 0.01113, 0.00629, 0.00612, 0.00316, 0.00303, 0.00005, 0.00002};

const char* pick_status(Rng& rng) {
  double u = rng.unit();
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (u < kStatusShare[i]) return kStatuses[i];
    u -= kStatusShare[i];
  }
  return kStatuses[0];
}

constexpr std::array<const char*, 10> kMessages = {"Produto chegou antes do prazo, recomendo!",
                                                   "Ótimo vendedor, entrega rápida.",
                                                   "Não recebi o produto ainda",
                                                   "O produto veio com defeito, \"péssimo\" atendimento",
                                                   "Muito bom, comprarei novamente",
                                                   "Entrega atrasou, mas o produto é bom, gostei",
                                                   "Recebi somente 1 de 2 itens",
                                                   "Excelente qualidade; superou as expectativas",
                                                   "Produto diferente do anunciado",
                                                   "Tudo certo"};

// Writes the first line of a file: the real header, quoted as the real files
// quote it.
void header(CsvWriter& w, std::initializer_list<std::string_view> names, bool quoted) {
  for (auto n : names) w.field(n, quoted);
  w.end_row();
}

}  // namespace

Counts generate(const Options& o) {
  const std::uint64_t seed = o.seed;
  Rng rng(mix(seed));
  const auto orders_n = static_cast<std::uint64_t>(std::llround(kOrdersAt1x * o.scale));
  const auto products_n = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(kProductsAt1x * o.scale)));
  const auto sellers_n = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(kSellersAt1x * o.scale)));
  const auto geo_n = static_cast<std::uint64_t>(std::llround(kGeolocationAt1x * o.scale));
  const std::string dir = o.out_dir + "/";

  CsvWriter customers(dir + "olist_customers_dataset.csv", false, false);
  CsvWriter orders(dir + "olist_orders_dataset.csv", false, false);
  CsvWriter items(dir + "olist_order_items_dataset.csv", false, false);
  CsvWriter payments(dir + "olist_order_payments_dataset.csv", false, false);
  CsvWriter reviews(dir + "olist_order_reviews_dataset.csv", true, false);
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

  // 2016-09-04 .. 2018-10-17, denser later as the marketplace grew.
  const std::int64_t t_begin = 1472947200, t_end = 1539734400;
  std::uint64_t uniques = 0;
  std::string previous_review_id;
  for (std::uint64_t i = 0; i < orders_n; ++i) {
    const std::string order_id = hex_id(seed, kOrder, i);
    const std::string customer_id = hex_id(seed, kCustomer, i);
    const std::uint64_t unique = (uniques > 0 && rng.chance(kRepeatOrderShare)) ? rng.below(uniques) : uniques++;
    const std::uint64_t place_hash = mix(seed ^ mix(kPlace * 7919 + unique));
    const Place& place = kPlaces[place_hash % kPlaces.size()];
    char zip[8];
    std::snprintf(zip, sizeof zip, "%05llu", static_cast<unsigned long long>((place_hash >> 16) % 99990 + 1));

    customers.field(customer_id, true);
    customers.field(hex_id(seed, kUnique, unique), true);
    customers.field(zip, true);
    customers.field(place.city);
    customers.field(place.state);
    customers.end_row();

    const char* status = pick_status(rng);
    const std::string_view st(status);
    const auto purchase =
        t_begin + static_cast<std::int64_t>(std::sqrt(rng.unit()) * static_cast<double>(t_end - t_begin));
    const bool approved = st != "created" && !(st == "canceled" && rng.chance(0.2));
    const bool shipped = st == "delivered" || st == "shipped" || (st == "canceled" && rng.chance(0.1));
    const bool delivered = st == "delivered" && !rng.chance(0.0001);
    const auto approved_at = purchase + rng.between(600, 48 * 3600);
    const auto carrier_at = approved_at + rng.between(3600, 6 * 86400);
    const auto delivered_at = carrier_at + rng.between(86400, 25 * 86400);
    orders.field(order_id, rng.chance(0.5));
    orders.field(customer_id, rng.chance(0.5));
    orders.field(status);
    orders.field(timestamp(purchase));
    orders.field(approved ? timestamp(approved_at) : "");
    orders.field(shipped ? timestamp(carrier_at) : "");
    orders.field(delivered ? timestamp(delivered_at) : "");
    orders.field(timestamp(midnight(purchase + rng.between(15, 45) * 86400)));
    orders.end_row();

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
      items.field(order_id, rng.chance(0.5));
      items.field(std::to_string(k));
      items.field(hex_id(seed, kProduct, rng.below(products_n)), rng.chance(0.5));
      items.field(hex_id(seed, kSeller, rng.below(sellers_n)), rng.chance(0.5));
      items.field(timestamp(purchase + rng.between(2, 8) * 86400 + rng.between(0, 86399)));
      items.field(money(price));
      items.field(money(freight));
      items.end_row();
    }

    // Payments: one row mostly; vouchers split some; a few orders have none.
    if (!rng.chance(0.001)) {
      std::int64_t total = items_cents > 0 ? items_cents : rng.between(1000, 30000);
      std::uint64_t sequential = 1;
      if (rng.chance(0.03)) {
        const auto vouchers = static_cast<int>(rng.between(1, 4));
        for (int v = 0; v < vouchers && total > 100; ++v) {
          const std::int64_t part = rng.between(0, total / 2);
          payments.field(order_id, rng.chance(0.3));
          payments.field(std::to_string(sequential++));
          payments.field("voucher");
          payments.field("1");
          payments.field(money(part));
          payments.end_row();
          total -= part;
        }
      }
      const double u = rng.unit();
      const char* type = u < 0.76 ? "credit_card" : u < 0.96 ? "boleto" : u < 0.985 ? "voucher" : "debit_card";
      payments.field(order_id, rng.chance(0.3));
      payments.field(std::to_string(sequential));
      payments.field(type);
      payments.field(std::string_view(type) == "credit_card" ? std::to_string(rng.between(1, 10)) : "1");
      payments.field(money(total));
      payments.end_row();
    }

    // Reviews: most orders; some review_ids repeat across orders, as in the
    // real file; some texts span several lines (CRLF inside quotes).
    if (rng.chance(0.992)) {
      std::string review_id =
          (!previous_review_id.empty() && rng.chance(0.0083)) ? previous_review_id : hex_id(seed, kReview, i);
      const double s = rng.unit();
      const int score = s < 0.577 ? 5 : s < 0.77 ? 4 : s < 0.85 ? 3 : s < 0.88 ? 2 : 1;
      std::string title = rng.chance(0.12) ? (score >= 4 ? "recomendo" : "Não recomendo") : "";
      std::string message;
      if (rng.chance(0.42)) {
        message = kMessages[rng.below(kMessages.size())];
        if (rng.chance(0.09)) message += std::string("\r\n") + kMessages[rng.below(kMessages.size())];
      }
      const auto created = midnight((delivered ? delivered_at : purchase + 20 * 86400) + 86400);
      reviews.field(review_id, true);
      reviews.field(order_id, true);
      reviews.field(std::to_string(score));
      reviews.field(title);
      reviews.field(message);
      reviews.field(timestamp(created));
      reviews.field(timestamp(created + rng.between(3600, 5 * 86400)));
      reviews.end_row();
      previous_review_id = review_id;
    }
  }

  Counts counts;
  counts.customers = customers.rows() - 1;
  counts.orders = orders.rows() - 1;
  counts.order_items = items.rows() - 1;
  counts.order_payments = payments.rows() - 1;
  counts.order_reviews = reviews.rows() - 1;

  {
    CsvWriter products(dir + "olist_products_dataset.csv", false, false);
    header(products,
           {"product_id", "product_category_name", "product_name_lenght", "product_description_lenght",
            "product_photos_qty", "product_weight_g", "product_length_cm", "product_height_cm", "product_width_cm"},
           true);
    for (std::uint64_t j = 0; j < products_n; ++j) {
      const bool bare = rng.chance(0.0185);  // no category and no measures, as in 610 real rows
      products.field(hex_id(seed, kProduct, j), true);
      products.field(bare ? "" : kCategories[rng.below(kCategories.size())].pt);
      products.field(bare ? "" : std::to_string(rng.between(5, 76)));
      products.field(bare ? "" : std::to_string(rng.between(4, 3992)));
      products.field(bare ? "" : std::to_string(rng.between(1, 20)));
      products.field(std::to_string(rng.between(50, 30000)));
      products.field(std::to_string(rng.between(7, 105)));
      products.field(std::to_string(rng.between(2, 105)));
      products.field(std::to_string(rng.between(6, 118)));
      products.end_row();
    }
    counts.products = products.rows() - 1;
  }
  {
    CsvWriter sellers(dir + "olist_sellers_dataset.csv", false, false);
    header(sellers, {"seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"}, true);
    for (std::uint64_t j = 0; j < sellers_n; ++j) {
      const Place& place = kPlaces[rng.below(kPlaces.size())];
      char zip[8];
      std::snprintf(zip, sizeof zip, "%05llu", static_cast<unsigned long long>(rng.between(1000, 99990)));
      sellers.field(hex_id(seed, kSeller, j), rng.chance(0.5));
      sellers.field(zip, true);
      sellers.field(place.city);
      sellers.field(place.state);
      sellers.end_row();
    }
    counts.sellers = sellers.rows() - 1;
  }
  {
    CsvWriter geo(dir + "olist_geolocation_dataset.csv", false, false);
    header(
        geo,
        {"geolocation_zip_code_prefix", "geolocation_lat", "geolocation_lng", "geolocation_city", "geolocation_state"},
        true);
    char buf[40];
    for (std::uint64_t j = 0; j < geo_n; ++j) {
      const Place& place = kPlaces[rng.below(kPlaces.size())];
      std::snprintf(buf, sizeof buf, "%05llu", static_cast<unsigned long long>(rng.between(1000, 99990)));
      geo.field(buf, true);
      std::snprintf(buf, sizeof buf, "%.14f", -33.0 + 30.0 * rng.unit());
      geo.field(buf);
      std::snprintf(buf, sizeof buf, "%.14f", -73.0 + 38.0 * rng.unit());
      geo.field(buf);
      geo.field(place.city);
      geo.field(place.state);
      geo.end_row();
    }
    counts.geolocation = geo.rows() - 1;
  }
  {
    // Like the real file: a UTF-8 BOM, CRLF line ends, an unquoted header.
    CsvWriter tr(dir + "product_category_name_translation.csv", true, true);
    header(tr, {"product_category_name", "product_category_name_english"}, false);
    for (const auto& c : kCategories) {
      tr.field(c.pt);
      tr.field(c.en);
      tr.end_row();
    }
    counts.translations = tr.rows() - 1;
  }
  return counts;
}

}  // namespace datagen
