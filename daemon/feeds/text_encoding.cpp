// Decoding a feed's text to UTF-8 (text_encoding.h).
#include "text_encoding.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "errors.h"
#include "private_file.h"
#include "text.h"

namespace segmentd {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Windows-1252's bytes 0x80-0x9F; 0 where the code page defines none.
constexpr std::uint16_t kCp1252High[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                           0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                           0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                           0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

}  // namespace

bool decode_to_utf8(std::string& bytes, FeedEncoding encoding) {
  if (encoding == FeedEncoding::Utf8 || encoding == FeedEncoding::Utf16) return is_clean_utf8(bytes);
  bool ascii = true;
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  }
  // Control characters (a NUL byte) are no text in any encoding.
  if (ascii) return is_clean_utf8(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 2);
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    std::uint32_t cp = b;
    if (encoding == FeedEncoding::Windows1252 && b >= 0x80 && b <= 0x9F) {
      cp = kCp1252High[b - 0x80];
      if (cp == 0) return false;
    }
    append_utf8(out, cp);
  }
  bytes.swap(out);
  return is_clean_utf8(bytes);
}

bool starts_with_utf16_bom(const char* head, std::size_t n) {
  if (n < 2) return false;
  const auto a = static_cast<unsigned char>(head[0]), b = static_cast<unsigned char>(head[1]);
  return (a == 0xFF && b == 0xFE) || (a == 0xFE && b == 0xFF);
}

TranscodeResult transcode_utf16_file(int fd, const std::filesystem::path& out_path) {
  TranscodeResult result;
  create_private_file(out_path);
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError("cannot write scratch file " + out_path.string() + ": " + std::strerror(errno), errno);
  std::string in(1 << 16, '\0');
  std::string text;
  bool little = true, first = true;
  std::uint64_t line = 1;
  std::uint32_t pending_high = 0;
  int carry = -1;  // a byte left over from the previous read
  off_t offset = 0;
  const auto fail = [&](std::string why) {
    result.ok = false;
    result.bad_line = line;
    result.reason = std::move(why);
    return result;
  };
  while (true) {
    const ssize_t n = ::pread(fd, in.data(), in.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError("cannot read: " + std::string(std::strerror(errno)), errno);
    if (n == 0) break;
    offset += n;
    std::size_t i = 0;
    text.clear();
    while (i < static_cast<std::size_t>(n)) {
      unsigned char b0, b1;
      if (carry >= 0) {
        b0 = static_cast<unsigned char>(carry);
        b1 = static_cast<unsigned char>(in[i++]);
        carry = -1;
      } else if (i + 1 < static_cast<std::size_t>(n)) {
        b0 = static_cast<unsigned char>(in[i]);
        b1 = static_cast<unsigned char>(in[i + 1]);
        i += 2;
      } else {
        carry = static_cast<unsigned char>(in[i++]);
        break;
      }
      if (first) {
        first = false;
        little = b0 == 0xFF && b1 == 0xFE;
        continue;  // the byte-order mark
      }
      const std::uint32_t unit = little ? (b0 | (b1 << 8)) : ((b0 << 8) | b1);
      if (pending_high != 0) {
        if (unit < 0xDC00 || unit > 0xDFFF) return fail("a UTF-16 high surrogate without its low half");
        append_utf8(text, 0x10000 + ((pending_high - 0xD800) << 10) + (unit - 0xDC00));
        pending_high = 0;
        continue;
      }
      if (unit >= 0xD800 && unit <= 0xDBFF) {
        pending_high = unit;
        continue;
      }
      if (unit >= 0xDC00 && unit <= 0xDFFF) return fail("a UTF-16 low surrogate without its high half");
      if (unit == '\n') ++line;
      append_utf8(text, unit);
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  if (carry >= 0) return fail("an odd number of bytes: the last UTF-16 unit is cut");
  if (pending_high != 0) return fail("ends inside a UTF-16 surrogate pair");
  out.close();
  if (!out) throw IoError("cannot write scratch file " + out_path.string() + ": " + std::strerror(errno), errno);
  return result;
}

}  // namespace segmentd
