#pragma once
// A feed's values as exported, read into segmentd's forms (doc/FEEDS.md
// "The rules"): amounts in local number formats, times in local formats
// and zones, yes/no flags, and the canonical keys of orders and customers.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segmentd {

// An amount in ten-thousandths of a unit: exact for every currency's minor
// units (none to four digits).
using Money = std::int64_t;
inline constexpr Money kMoneyScale = 10000;

// "1,234.56", "$1,234.56", "1.234,56 €" (decimal_comma), "-12.5", "(12.50)".
// Currency signs and letters around the number, and spaces, are ignored.
// Nullopt with `error` set when it is not a number or has more than four
// decimals.
std::optional<Money> parse_money(std::string_view text, bool decimal_comma, std::string& error);
// "1234.5600" -> as the database reads a DECIMAL.
std::string money_text(Money m);

// A time zone given in a row (PayPal's TimeZone): an IANA name, or one of
// the abbreviations PayPal writes (PST, PDT, CET, ...). Nullopt when unknown.
std::optional<std::chrono::minutes> zone_abbreviation_offset(std::string_view abbreviation);

// Parses `text` with the first of `formats` (strptime-style, as
// date::parse reads them) that reads all of it. A time with an offset (%z)
// is absolute; one without is in `zone` (an IANA name, or an abbreviation
// from zone_abbreviation_offset). Returns UTC, or nullopt with `error`.
std::optional<std::chrono::sys_seconds> parse_feed_time(std::string_view text, const std::vector<std::string>& formats,
                                                        const std::string& zone, std::string& error);
// "YYYY-MM-DD HH:MM:SS"
std::string utc_text(std::chrono::sys_seconds t);

// yes/no, true/false, 1/0, y/n, subscribed/unsubscribed (any case); empty
// or anything else is unknown.
std::optional<bool> parse_flag(std::string_view text);

// Trimmed of spaces (and a UTF-8 no-break space) at both ends.
std::string trimmed(std::string_view text);
std::string lower_ascii(std::string_view text);

// The canonical 32-character ASCII id of a key (doc/FEEDS.md "The rules"): the
// key itself when it is printable ASCII without spaces, at most 32
// characters and not starting with '~'; otherwise '~' and the first 31
// hex digits of its SHA-256.
std::string canonical_id(std::string_view key);

}  // namespace segmentd
