// segmentd-datagen: writes the nine Olist CSV files for demos, tests and
// benchmarks. Prints one line per file with its record count.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "generator.h"
#include "platform_export.h"

int main(int argc, char** argv) {
  CLI::App app{"segmentd-datagen: generate Olist-shaped CSV files"};
  datagen::Options o;
  app.add_option("-o,--out", o.out_dir, "Output folder (created if missing)")->required();
  app.add_option("-s,--scale", o.scale, "1 is about 99,441 orders")
      ->check(CLI::Range(0.0001, 100.0))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Same seed, same files")->capture_default_str();
  app.add_option("--delta-day", o.delta_day,
                 "Write day N's delta (new orders, status changes, restated payments) for the base of --scale and "
                 "--seed instead of the base");
  std::string format = "olist";
  app.add_option("--format", format,
                 "olist (the nine files), or the same orders as one platform's export: shopify, woocommerce, magento, "
                 "bigcommerce, stripe, paypal")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    std::filesystem::create_directories(o.out_dir);
    if (format != "olist") {
      const auto c = datagen::generate_platform(o, format);
      std::cout << std::filesystem::path(c.file).filename().string() << "\t" << c.rows << "\n"
                << "# orders " << c.orders << ", partly refunded " << c.refunded << ", cancelled " << c.cancelled
                << ", in USD " << c.foreign << "\n";
      return 0;
    }
    if (o.delta_day > 0) {
      datagen::DeltaCounts changes;
      const auto c = datagen::generate_delta(o, changes);
      std::cout << "olist_customers_dataset.csv\t" << c.customers << "\n"
                << "olist_orders_dataset.csv\t" << c.orders << "\n"
                << "olist_order_items_dataset.csv\t" << c.order_items << "\n"
                << "olist_order_payments_dataset.csv\t" << c.order_payments << "\n"
                << "olist_order_reviews_dataset.csv\t" << c.order_reviews << "\n"
                << "# of the orders, status updates: " << changes.status_updates
                << "; of the payments, restated: " << changes.payments_changed << "\n";
      return 0;
    }
    const auto c = datagen::generate(o);
    std::cout << "olist_customers_dataset.csv\t" << c.customers << "\n"
              << "olist_orders_dataset.csv\t" << c.orders << "\n"
              << "olist_order_items_dataset.csv\t" << c.order_items << "\n"
              << "olist_order_payments_dataset.csv\t" << c.order_payments << "\n"
              << "olist_order_reviews_dataset.csv\t" << c.order_reviews << "\n"
              << "olist_products_dataset.csv\t" << c.products << "\n"
              << "olist_sellers_dataset.csv\t" << c.sellers << "\n"
              << "olist_geolocation_dataset.csv\t" << c.geolocation << "\n"
              << "product_category_name_translation.csv\t" << c.translations << "\n";
  } catch (const std::exception& e) {
    std::cerr << "segmentd-datagen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
