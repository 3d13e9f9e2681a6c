#pragma once
// The rejects file of one load: a private CSV (line, reason, record),
// written under a temporary name and renamed into place when complete.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "durable_file.h"
#include "errors.h"
#include "private_file.h"

namespace segmentd {

// Writes the rejects file as CSV: line, reason, record.
class RejectsWriter {
 public:
  explicit RejectsWriter(std::filesystem::path final_path)
      : final_(std::move(final_path)), temp_(final_.parent_path() / scratch_name(kAtomicTempPrefix, ".rejects")) {}
  ~RejectsWriter() {
    if (out_.is_open()) {
      out_.close();
      std::error_code ec;
      std::filesystem::remove(temp_, ec);
    }
  }
  RejectsWriter(const RejectsWriter&) = delete;
  RejectsWriter& operator=(const RejectsWriter&) = delete;

  void add(std::uint64_t line, const std::string& reason, const std::string& raw) {
    if (!out_.is_open()) {
      try {
        create_private_file(temp_);  // rejected rows are customer data
      } catch (const IoError&) {
        failed_ = true;
        return;
      }
      out_.open(temp_, std::ios::binary | std::ios::trunc);
      if (!out_) {
        failed_ = true;
        return;
      }
      out_ << "line,reason,record\n";
    }
    out_ << line << ',' << quote(reason) << ',' << quote(raw) << '\n';
  }
  // Publishes the file; returns its path, or empty when nothing was rejected.
  std::filesystem::path commit() {
    if (!out_.is_open()) return {};
    out_.close();
    std::error_code ec;
    std::filesystem::rename(temp_, final_, ec);
    if (ec) return {};
    return final_;
  }
  bool failed() const { return failed_; }

 private:
  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }
  std::filesystem::path final_;
  std::filesystem::path temp_;
  std::ofstream out_;
  bool failed_ = false;
};

struct Reject {
  std::uint64_t line;
  std::string reason;
};

}  // namespace segmentd
