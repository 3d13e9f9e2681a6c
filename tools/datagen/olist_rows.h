#pragma once
// What the base files and the daily deltas share: the generator's random
// numbers and ids, the Olist formats, and the rows of one order (its
// customer, order, items, payments and review).

#include <date/date.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "csv_writer.h"

namespace datagen {

constexpr double kOrdersAt1x = 99441;
constexpr double kProductsAt1x = 32951;
constexpr double kSellersAt1x = 3095;
constexpr double kGeolocationAt1x = 1000163;
// Share of orders placed by a customer_unique_id that ordered before: about
// 3% of customers order more than once, as in the real data.
constexpr double kRepeatOrderShare = 0.0336;

inline std::uint64_t mix(std::uint64_t x) {
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
inline std::string hex_id(std::uint64_t seed, std::uint64_t kind, std::uint64_t index) {
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

enum Kind : std::uint64_t { kOrder = 1, kCustomer, kUnique, kProduct, kSeller, kReview, kPlace, kDeltaUnique, kDelta };

inline std::string timestamp(std::int64_t epoch_seconds) {
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

inline std::int64_t midnight(std::int64_t epoch_seconds) {
  return epoch_seconds - epoch_seconds % 86400;
}

inline std::string money(std::int64_t cents) {
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

inline const char* pick_status(Rng& rng) {
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
inline void header(CsvWriter& w, std::initializer_list<std::string_view> names, bool quoted) {
  for (auto n : names) w.field(n, quoted);
  w.end_row();
}

// The five files an order has rows in.
struct OrderFiles {
  CsvWriter& customers;
  CsvWriter& orders;
  CsvWriter& items;
  CsvWriter& payments;
  CsvWriter& reviews;
  void headers();
};

// One order as placed: ids, status and purchase time are the caller's.
struct OrderSpec {
  std::uint64_t index = 0;  // the order's number: its ids derive from it
  std::string customer_id;
  std::string unique_id;
  std::uint64_t place_hash = 0;
  const char* status = "delivered";
  std::int64_t purchase = 0;
  std::uint64_t products = 1, sellers = 1;  // how many there are to pick from
};

// What a later day needs to re-state the order (a status change).
struct OrderFacts {
  std::uint64_t index = 0;
  std::string order_id, customer_id;
  std::string status;
  std::int64_t purchase = 0, approved_at = 0, carrier_at = 0, estimated = 0;
  bool approved = false, shipped = false;
};

// Writes the order's rows, drawing from `rng` in a fixed order (the base
// files of a seed never change). `previous_review_id`: some review ids
// repeat across orders, as in the real file.
OrderFacts write_order(OrderFiles& files, Rng& rng, std::uint64_t seed, const OrderSpec& spec,
                       std::string& previous_review_id);

// The span of the base files' purchases: 2016-09-04 .. 2018-10-17.
inline constexpr std::int64_t kBaseBegin = 1472947200, kBaseEnd = 1539734400;

}  // namespace datagen
