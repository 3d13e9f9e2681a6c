#include "csv_writer.h"

#include <stdexcept>

namespace datagen {

CsvWriter::CsvWriter(const std::string& path, bool crlf, bool bom)
    : file_(std::fopen(path.c_str(), "wb")), eol_(crlf ? "\r\n" : "\n") {
  if (file_ == nullptr) throw std::runtime_error("cannot write " + path);
  buffer_.reserve(1 << 20);
  if (bom) buffer_ += "\xEF\xBB\xBF";
}

CsvWriter::~CsvWriter() {
  if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  std::fclose(file_);
}

void CsvWriter::field(std::string_view value, bool quote) {
  if (!row_open_) {
    // The line break goes before each row after the first, so the file ends
    // without one, as the real exports do.
    if (!first_row_) buffer_ += eol_;
    first_row_ = false;
    row_open_ = true;
  } else {
    buffer_ += ',';
  }
  const bool must_quote = value.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote && !must_quote) {
    buffer_ += value;
    return;
  }
  buffer_ += '"';
  for (char c : value) {
    if (c == '"') buffer_ += '"';
    buffer_ += c;
  }
  buffer_ += '"';
}

void CsvWriter::end_row() {
  row_open_ = false;
  ++rows_;
  flush_if_full();
}

void CsvWriter::flush_if_full() {
  if (buffer_.size() < (1 << 20) - 4096) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
  buffer_.clear();
}

}  // namespace datagen
