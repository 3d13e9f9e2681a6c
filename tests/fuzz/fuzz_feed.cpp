// libFuzzer target: a feed's rows (feeds/): any bytes, read as the rows of
// one preset chosen by the first byte, under its own header. Oracles: no
// crash or undefined behaviour; an order's canonical ids fit the canonical
// columns (32 printable ASCII characters); every amount read prints back
// to the same amount; every record's text is valid UTF-8.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "feed_rows.h"
#include "feed_values.h"
#include "text.h"

namespace {

bool canonical(const std::string& id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) return false;
  }
  return true;
}

void check_money(segmentd::Money m) {
  std::string error;
  const auto again = segmentd::parse_money(segmentd::money_text(m), false, error);
  if (!again || *again != m) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& presets = segmentd::feed_presets();
  segmentd::FeedSpec spec = presets[data[0] % presets.size()];
  if (data[0] & 0x80) spec.decimal_comma = true;
  if (data[0] & 0x40) spec.encoding = segmentd::FeedEncoding::Windows1252;
  std::vector<std::string> header;
  for (const auto& [role, names] : spec.columns) header.push_back(names.substr(0, names.find('|')));
  auto match = segmentd::match_feed({spec}, header, "f.csv");
  if (!match.binding) std::abort();  // a preset takes its own header
  match.binding->spec = &spec;
  segmentd::FeedRowReader reader(*match.binding, "EUR");

  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t start = 0;
  std::uint64_t line = 1;
  while (start <= bytes.size()) {
    const auto end = bytes.find('\n', start);
    const std::string row = bytes.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::vector<std::string> fields(1);
    for (char c : row) {
      if (c == ',') {
        fields.emplace_back();
      } else {
        fields.back() += c;
      }
    }
    fields.resize(header.size());
    std::string reason;
    const auto r = reader.read(fields, ++line, reason);
    if (r && r->kind != segmentd::FeedRowKind::Ignored) {
      if (!canonical(r->order_id) || !canonical(r->customer_id)) std::abort();
      if (!segmentd::is_clean_utf8(r->order_key) || !segmentd::is_clean_utf8(r->customer_key) ||
          !segmentd::is_clean_utf8(r->email) || !segmentd::is_clean_utf8(r->status)) {
        std::abort();
      }
      check_money(r->amount);
      check_money(r->refunded);
      if (r->converted_net) check_money(*r->converted_net);
      (void)segmentd::utc_text(r->purchased_at);
    }
    if (!r && reason.empty()) std::abort();  // a refusal always says why
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return 0;
}
