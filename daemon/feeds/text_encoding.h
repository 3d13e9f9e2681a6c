#pragma once
// The encodings a feed may be in (doc/FEEDS.md "The rules"): fields are
// decoded to UTF-8 one at a time (the CSV structure is ASCII in every
// single-byte encoding), and a UTF-16 file is first transcoded whole.

#include <cstdint>
#include <filesystem>
#include <string>

#include "feed_spec.h"

namespace segmentd {

// Decodes `bytes` from `encoding` to UTF-8 in place. False when a byte has
// no character in that encoding (five bytes of Windows-1252), for UTF-8
// (and transcoded UTF-16) when the text is not valid UTF-8, and in every
// encoding for a control character other than tab, CR and LF (a NUL byte).
bool decode_to_utf8(std::string& bytes, FeedEncoding encoding);

// Whether a file's first bytes are a UTF-16 byte-order mark (FF FE or FE FF).
bool starts_with_utf16_bom(const char* head, std::size_t n);

struct TranscodeResult {
  bool ok = true;
  std::uint64_t bad_line = 0;  // the line of the first undecodable unit
  std::string reason;
};

// Reads the UTF-16 file on `fd` (byte-order mark first) and writes it as
// UTF-8 to `out` (created private: it is customer data). Line numbers stay
// the same. A lone surrogate or an odd byte count is refused naming its line.
TranscodeResult transcode_utf16_file(int fd, const std::filesystem::path& out);

}  // namespace segmentd
