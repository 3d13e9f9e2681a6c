// A feed file's header and rows (feed_rows.h).
#include "feed_rows.h"

#include <fnmatch.h>

#include <algorithm>

#include "text_encoding.h"

namespace segmentd {
namespace {

std::vector<std::string> alternatives(const std::string& header) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto bar = header.find('|', start);
    out.push_back(
        lower_ascii(trimmed(header.substr(start, bar == std::string::npos ? std::string::npos : bar - start))));
    if (bar == std::string::npos) return out;
    start = bar + 1;
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Decimal text of a positive rate ("1.0842", "1,0842" with decimal_comma).
bool normalise_rate(std::string& text, bool decimal_comma) {
  std::string out;
  bool dot = false, digit = false;
  for (char c : trimmed(text)) {
    if (c >= '0' && c <= '9') {
      out += c;
      digit = true;
    } else if ((c == (decimal_comma ? ',' : '.')) && !dot) {
      out += '.';
      dot = true;
    } else {
      return false;
    }
  }
  if (!digit || out.size() > 30) return false;
  if (out.find_first_not_of("0.") == std::string::npos) return false;  // zero
  text = out;
  return true;
}

}  // namespace

bool is_rates_header(const std::vector<std::string>& header) {
  if (header.size() != 3) return false;
  std::vector<std::string> names;
  for (const auto& h : header) names.push_back(lower_ascii(trimmed(h)));
  return names == std::vector<std::string>{"date", "currency", "rate"};
}

FeedMatch match_feed(const std::vector<FeedSpec>& feeds, const std::vector<std::string>& header,
                     const std::string& file_name) {
  FeedMatch result;
  std::vector<const FeedSpec*> matched;
  const FeedSpec* closest = nullptr;
  std::vector<std::string> closest_missing;
  for (const auto& spec : feeds) {
    if (!spec.file_glob.empty() && ::fnmatch(spec.file_glob.c_str(), file_name.c_str(), 0) != 0) continue;
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < header.size(); ++i) {
      std::string name = header[i];
      if (!decode_to_utf8(name, spec.encoding)) continue;
      position.emplace(lower_ascii(trimmed(name)), i);
    }
    FeedBinding binding;
    binding.spec = &spec;
    std::vector<std::string> missing;
    std::size_t found = 0;
    for (const auto& [role, names] : spec.columns) {
      std::optional<std::size_t> at;
      for (const auto& alt : alternatives(names)) {
        auto it = position.find(alt);
        if (it != position.end()) {
          at = it->second;
          break;
        }
      }
      const bool optional =
          std::find(spec.optional_roles.begin(), spec.optional_roles.end(), role) != spec.optional_roles.end();
      if (at) {
        binding.field_of_role[role] = *at;
        ++found;
      } else if (!optional) {
        missing.push_back(names);
      }
    }
    if (missing.empty()) {
      if (!result.binding) result.binding = binding;
      matched.push_back(&spec);
    } else if (closest == nullptr || found > result.closest_found) {
      closest = &spec;
      closest_missing = missing;
      result.closest_found = found;
    }
  }
  if (matched.size() > 1) {
    result.binding.reset();
    result.error = "header matches more than one feed: " + matched[0]->name + " and " + matched[1]->name +
                   "; narrow them with file_glob";
    return result;
  }
  if (matched.size() == 1) return result;
  if (closest == nullptr) {
    result.error = "header matches no feed (none configured for this file name)";
  } else {
    result.error = "header matches no feed; closest is " + closest->name + ", missing " + join(closest_missing);
  }
  return result;
}

FeedRowReader::FeedRowReader(FeedBinding binding, std::string base_currency)
    : binding_(std::move(binding)), spec_(*binding_.spec), base_(std::move(base_currency)) {}

const std::string* FeedRowReader::field(std::vector<std::string>& fields, const char* role) const {
  auto it = binding_.field_of_role.find(role);
  if (it == binding_.field_of_role.end() || it->second >= fields.size()) return nullptr;
  return &fields[it->second];
}

std::string FeedRowReader::keyed(const std::string& key) const {
  return spec_.store.empty() ? key : spec_.store + ":" + key;
}

std::optional<FeedRecord> FeedRowReader::read(std::vector<std::string>& fields, std::uint64_t line,
                                              std::string& reason) {
  FeedRecord r;
  r.line = line;
  for (auto& f : fields) {
    if (!decode_to_utf8(f, spec_.encoding)) {
      reason = std::string("not valid ") + to_string(spec_.encoding) + " text";
      return std::nullopt;
    }
  }
  const std::string order = trimmed(*field(fields, "order_id"));
  if (order.empty()) {
    reason = "no order key (" + spec_.columns.at("order_id") + " is empty)";
    return std::nullopt;
  }
  if (spec_.grain == FeedGrain::LineItem && order == previous_order_) {
    r.kind = FeedRowKind::Ignored;
    r.why_ignored = "line item";
    return r;
  }
  previous_order_ = order;
  r.order_key = keyed(order);
  r.order_id = canonical_id(r.order_key);

  if (const auto* impact = field(fields, "balance_impact"); impact && lower_ascii(trimmed(*impact)) == "memo") {
    r.kind = FeedRowKind::Ignored;
    r.why_ignored = "memo";
    return r;
  }
  const auto amount = parse_money(*field(fields, "amount"), spec_.decimal_comma, reason);
  if (!amount) return std::nullopt;
  r.amount = *amount;
  if (const auto* c = field(fields, "currency")) {
    std::string cur = trimmed(*c);
    for (char& ch : cur) {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
    }
    if (!cur.empty() &&
        (cur.size() != 3 || !std::all_of(cur.begin(), cur.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))) {
      reason = "currency '" + cur + "' is not a 3-letter code";
      return std::nullopt;
    }
    r.currency = cur == base_ ? "" : cur;
  }

  // A payment-grain row that takes money back: a refund of the charge it
  // points at, or (pointing at none) money out that is no sale.
  if (spec_.grain == FeedGrain::Payment && r.amount < 0) {
    const auto* ref = field(fields, "refers_to");
    const std::string target = ref ? trimmed(*ref) : std::string();
    if (target.empty()) {
      r.kind = FeedRowKind::Ignored;
      r.why_ignored = "money out";
      return r;
    }
    r.kind = FeedRowKind::Refund;
    r.amount = -r.amount;
    r.customer_key = keyed(target);  // the charge's key, carried here
    r.customer_id = canonical_id(r.customer_key);
    return r;
  }

  // The customer: the id as given, unless absent or a guest's; else the e-mail.
  if (const auto* e = field(fields, "email")) r.email = lower_ascii(trimmed(*e));
  std::string customer;
  if (const auto* id = field(fields, "customer_id")) {
    customer = trimmed(*id);
    if (std::find(spec_.guest_customer_ids.begin(), spec_.guest_customer_ids.end(), customer) !=
        spec_.guest_customer_ids.end()) {
      customer.clear();
    }
  }
  if (customer.empty()) customer = r.email;
  if (customer.empty()) {
    reason = "no customer key (customer id and e-mail both empty)";
    return std::nullopt;
  }
  r.customer_key = keyed(customer);
  r.customer_id = canonical_id(r.customer_key);

  std::string when = *field(fields, "purchased_at");
  if (const auto* t = field(fields, "purchased_time")) when += " " + trimmed(*t);
  std::string zone = spec_.timezone;
  if (const auto* z = field(fields, "timezone_column"); z && !trimmed(*z).empty()) zone = trimmed(*z);
  const auto at = parse_feed_time(when, spec_.date_formats, zone, reason);
  if (!at) return std::nullopt;
  r.purchased_at = *at;

  if (const auto* s = field(fields, "status")) r.status = trimmed(*s);
  const std::string status = lower_ascii(r.status);
  r.status_counted =
      spec_.counted_statuses.empty() ||
      std::find(spec_.counted_statuses.begin(), spec_.counted_statuses.end(), status) != spec_.counted_statuses.end();
  if (const auto* c = field(fields, "captured")) {
    if (parse_flag(*c) != true) r.status_counted = false;
  }
  if (const auto* c = field(fields, "cancelled_at")) r.cancelled = !trimmed(*c).empty();
  if (const auto* c = field(fields, "consent")) r.consent = parse_flag(*c);
  if (const auto* f = field(fields, "refunded"); f && !trimmed(*f).empty()) {
    const auto refunded = parse_money(*f, spec_.decimal_comma, reason);
    if (!refunded) {
      reason = "refunded " + reason;
      return std::nullopt;
    }
    r.refunded = *refunded < 0 ? -*refunded : *refunded;
  }
  if (const auto* f = field(fields, "converted_amount"); f && !trimmed(*f).empty() && !r.currency.empty()) {
    const auto* cc = field(fields, "converted_currency");
    if (cc == nullptr || lower_ascii(trimmed(*cc)) == lower_ascii(base_)) {
      const auto converted = parse_money(*f, spec_.decimal_comma, reason);
      if (!converted) {
        reason = "converted " + reason;
        return std::nullopt;
      }
      Money back = 0;
      if (const auto* fr = field(fields, "converted_refunded"); fr && !trimmed(*fr).empty()) {
        const auto b = parse_money(*fr, spec_.decimal_comma, reason);
        if (!b) {
          reason = "converted refunded " + reason;
          return std::nullopt;
        }
        back = *b < 0 ? -*b : *b;
      }
      r.converted_net = *converted - back;
    }
  }
  if (const auto* f = field(fields, "exchange_rate"); f && !trimmed(*f).empty() && !r.currency.empty()) {
    std::string rate = *f;
    if (!normalise_rate(rate, spec_.decimal_comma)) {
      reason = "exchange rate '" + trimmed(*f) + "' is not a positive number";
      return std::nullopt;
    }
    r.exchange_rate = rate;
  }
  r.kind = FeedRowKind::Order;
  return r;
}

}  // namespace segmentd
