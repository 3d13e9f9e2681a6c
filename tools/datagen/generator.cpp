#include "generator.h"

#include <algorithm>
#include <cmath>

#include "olist_rows.h"

namespace datagen {

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
  OrderFiles files{customers, orders, items, payments, reviews};
  files.headers();

  // Denser later, as the marketplace grew.
  std::uint64_t uniques = 0;
  std::string previous_review_id;
  for (std::uint64_t i = 0; i < orders_n; ++i) {
    OrderSpec spec;
    spec.index = i;
    spec.products = products_n;
    spec.sellers = sellers_n;
    spec.customer_id = hex_id(seed, kCustomer, i);
    const std::uint64_t unique = (uniques > 0 && rng.chance(kRepeatOrderShare)) ? rng.below(uniques) : uniques++;
    spec.unique_id = hex_id(seed, kUnique, unique);
    spec.place_hash = mix(seed ^ mix(kPlace * 7919 + unique));
    spec.status = pick_status(rng);
    spec.purchase =
        kBaseBegin + static_cast<std::int64_t>(std::sqrt(rng.unit()) * static_cast<double>(kBaseEnd - kBaseBegin));
    write_order(files, rng, seed, spec, previous_review_id);
  }

  Counts counts;
  counts.customers = customers.rows() - 1;
  counts.orders = orders.rows() - 1;
  counts.order_items = items.rows() - 1;
  counts.order_payments = payments.rows() - 1;
  counts.order_reviews = reviews.rows() - 1;
  // The files after the orders' draw nothing the orders' rows need.
  if (o.orders_only) return counts;

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
