#pragma once
// The `currency:` and `feeds:` sections (doc/FEEDS.md "Configuration").

#include <string>
#include <vector>

#include "feed_spec.h"
#include "yaml_section.h"

namespace segmentd {

struct CurrencyConfig {
  std::string base = "USD";  // every amount is converted to it
  bool operator==(const CurrencyConfig&) const = default;
};

CurrencyConfig read_currency(YamlSection section);
// The configured feeds; when the section is absent, every preset under
// its own name.
std::vector<FeedSpec> read_feeds(YamlSection& top);

}  // namespace segmentd
