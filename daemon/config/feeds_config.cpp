// Reading `currency:` and `feeds:` (feeds_config.h).
#include "feeds_config.h"

#include <algorithm>
#include <regex>
#include <set>

#include "feed_values.h"

namespace segmentd {
namespace {

bool is_currency_code(const std::string& s) {
  return std::regex_match(s, std::regex("[A-Z]{3}"));
}

FeedSpec read_feed(YamlSection& section, const std::set<std::string>& taken) {
  std::string name, preset;
  section.read("name", name);
  section.read("preset", preset);
  if (name.empty()) section.fail("name", "is required");
  if (!std::regex_match(name, std::regex("[A-Za-z0-9_.-]{1,64}"))) {
    section.fail("name", "\"" + name + "\" must be 1-64 letters, digits, '_', '.' or '-'");
  }
  if (taken.count(name)) section.fail("name", "\"" + name + "\" is used by another feed");
  FeedSpec spec;
  if (!preset.empty()) {
    const FeedSpec* p = feed_preset(preset);
    if (p == nullptr) {
      std::string known;
      for (const auto& f : feed_presets()) known += (known.empty() ? "" : ", ") + f.name;
      section.fail("preset", "\"" + preset + "\" is not a preset (" + known + ")");
    }
    spec = *p;
  }
  spec.name = name;
  std::string grain;
  if (section.has("grain")) {
    section.read("grain", grain);
    const auto g = feed_grain_from(grain);
    if (!g) section.fail("grain", "must be order, line_item or payment, got \"" + grain + "\"");
    spec.grain = *g;
  }
  if (section.has("delimiter")) {
    std::string d;
    section.read("delimiter", d);
    const char c = d == "tab" || d == "\\t" ? '\t' : d.size() == 1 ? d[0] : '\0';
    if (c == '\0' || c == '"' || c == '\n' || c == '\r') {
      section.fail("delimiter", "must be one character (or \"tab\"), not a quote or line break");
    }
    spec.delimiter = c;
  }
  section.read("decimal_comma", spec.decimal_comma);
  section.read("date_format", spec.date_formats);
  section.read("timezone", spec.timezone);
  if (section.has("encoding")) {
    std::string e;
    section.read("encoding", e);
    const auto enc = feed_encoding_from(e);
    if (!enc) section.fail("encoding", "must be utf-8, windows-1252, iso-8859-1 or utf-16, got \"" + e + "\"");
    spec.encoding = *enc;
  }
  if (section.has("counted_statuses")) {
    section.read("counted_statuses", spec.counted_statuses);
    for (auto& s : spec.counted_statuses) s = lower_ascii(trimmed(s));
  }
  section.read("guest_customer_ids", spec.guest_customer_ids);
  section.read("store", spec.store);
  section.read("file_glob", spec.file_glob);
  if (section.has("columns")) {
    YamlSection columns = section.section("columns");
    for (const auto& role : kFeedRoles) {
      if (!columns.has(role)) continue;
      std::string header;
      columns.read(role, header);
      if (header.empty()) {
        spec.columns.erase(role);  // `role: ""` removes a preset's column
      } else {
        spec.columns[role] = header;
        std::erase(spec.optional_roles, role);
      }
    }
    columns.finish();
  }
  if (section.has("optional_columns")) {
    std::vector<std::string> optional;
    section.read("optional_columns", optional);
    for (const auto& role : optional) {
      if (std::find(kFeedRoles.begin(), kFeedRoles.end(), role) == kFeedRoles.end()) {
        section.fail("optional_columns", "\"" + role + "\" is not a column role");
      }
      spec.optional_roles.push_back(role);
    }
  }
  section.finish();
  if (!spec.store.empty() && !std::regex_match(spec.store, std::regex("[A-Za-z0-9_.-]{1,32}"))) {
    section.fail("store", "\"" + spec.store + "\" must be 1-32 letters, digits, '_', '.' or '-'");
  }
  const std::string problem = feed_spec_problem(spec);
  if (!problem.empty()) section.fail(preset.empty() ? "columns" : "preset", problem);
  return spec;
}

}  // namespace

CurrencyConfig read_currency(YamlSection section) {
  CurrencyConfig currency;
  section.read("base", currency.base);
  section.finish();
  if (!is_currency_code(currency.base)) {
    section.fail("base", "must be a 3-letter upper-case currency code, got \"" + currency.base + "\"");
  }
  return currency;
}

std::vector<FeedSpec> read_feeds(YamlSection& top) {
  bool present = false;
  auto sections = top.sections("feeds", present);
  if (!present) return feed_presets();
  std::vector<FeedSpec> feeds;
  std::set<std::string> names;
  for (auto& s : sections) {
    feeds.push_back(read_feed(s, names));
    names.insert(feeds.back().name);
  }
  return feeds;
}

}  // namespace segmentd
