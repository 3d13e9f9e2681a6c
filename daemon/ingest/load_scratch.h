#pragma once
// Scratch files of a load: removed unless kept, and the tab-separated form
// LOAD DATA reads.

#include <filesystem>
#include <string>
#include <string_view>

namespace segmentd {

// A scratch file removed on destruction unless released.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~TempFile() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Escapes a value for LOAD DATA's default format (tab-separated, backslash
// escapes, \N for NULL).
inline void append_tsv(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace segmentd
