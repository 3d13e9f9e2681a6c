// libFuzzer target: the escaping of bytes that leave segmentd as text (file
// names and headers into the ledger, run messages, logs). Oracles: the
// escaped text is clean UTF-8 and unescapes to the input; the bounded form
// is clean UTF-8 and either the whole escape, within the bound, or a prefix
// of it within the bound followed by a note of what was cut.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string escaped = segmentd::escape_bytes(bytes);
  if (!segmentd::is_clean_utf8(escaped)) std::abort();
  if (escaped.find_first_of("\t\r\n") != std::string::npos) std::abort();
  if (segmentd::unescape_bytes(escaped) != bytes) std::abort();

  const std::size_t bound = size == 0 ? 0 : data[0] % 64;
  const std::string bounded = segmentd::bounded_text(bytes, bound);
  if (!segmentd::is_clean_utf8(bounded)) std::abort();
  // Whether the text was cut follows from the escape's length alone: the
  // output cannot tell (an input may itself end like a note).
  if (escaped.size() <= bound) {
    if (bounded != escaped) std::abort();
  } else {
    // Cut: what was kept, then the note saying how much was not.
    const auto note = bounded.rfind(" ... (");
    if (note == std::string::npos || bounded.size() < 16 || bounded.substr(bounded.size() - 16) != " more bytes cut)") {
      std::abort();
    }
    if (note > bound || escaped.compare(0, note, bounded, 0, note) != 0) std::abort();
  }
  return 0;
}
