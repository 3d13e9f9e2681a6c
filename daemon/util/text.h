#pragma once
// Text that leaves segmentd (the ledger, run messages, logs, reason files)
// must be valid UTF-8 and of bounded size, whatever bytes a file name or a
// file's header held: a column refuses invalid UTF-8 (error 1366) and a TEXT
// column holds 64 KiB.

#include <cstddef>
#include <string>
#include <string_view>

namespace segmentd {

// Lossless and printable: valid UTF-8 stays as it is, a backslash becomes
// "\\", and every byte that is not part of a valid UTF-8 sequence, or is a
// control character, becomes "\xNN". unescape_bytes() reverses it.
std::string escape_bytes(std::string_view bytes);
std::string unescape_bytes(std::string_view escaped);

// escape_bytes(text), cut at a character boundary to at most `max_bytes`
// (plus a note saying how much was cut).
std::string bounded_text(std::string_view text, std::size_t max_bytes = 4096);

// Whether `bytes` is valid UTF-8 without control characters other than
// tab, CR and LF.
bool is_clean_utf8(std::string_view bytes);

}  // namespace segmentd
