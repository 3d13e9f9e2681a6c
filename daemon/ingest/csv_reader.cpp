#include "csv_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace segmentd {

CsvReader::CsvReader(int fd, std::size_t max_record_bytes, std::size_t buffer_bytes, char delimiter)
    : fd_(fd), max_record_(max_record_bytes), delimiter_(delimiter) {
  buffer_.resize(std::max<std::size_t>(buffer_bytes, 4));
}

bool CsvReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(std::string("read failed: ") + std::strerror(errno), errno);
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<std::size_t>(n);
    return true;
  }
}

bool CsvReader::more_bytes() {
  char probe = 0;
  while (true) {
    const ssize_t n = ::read(fd_, &probe, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(std::string("read failed: ") + std::strerror(errno), errno);
    return n == 1;
  }
}

bool CsvReader::next(CsvRecord& record) {
  record.fields.clear();
  record.raw.clear();
  if (first_) {
    while (end_ - pos_ < 3 && fill()) {
    }
    if (end_ - pos_ >= 3 && std::memcmp(buffer_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
      pos_ += 3;
    }
    first_ = false;
  }
  if (pos_ == end_ && !fill()) return false;

  record.line = line_;
  std::string field;
  bool in_quotes = false;
  bool was_quoted = false;
  const std::uint64_t start_line = line_;
  // Scans the record byte by byte; `i` indexes the buffer from pos_. The raw
  // copy is taken when the record ends.
  std::size_t i = pos_;
  auto refill = [&]() {
    const std::size_t offset = i - pos_;
    if (offset > max_record_) {
      const std::string limit = std::to_string(max_record_) + " bytes";
      if (!in_quotes) throw CsvError(start_line, "record longer than " + limit);
      // Inside quotes at the end of the file, the quote is never closed.
      // Before it, all that is known is that the field runs past the limit:
      // a field that long (a 1 GB field, quote closed, was once refused as
      // "unbalanced"), or a quote closed nowhere. One byte read tells which;
      // the file is refused either way, so it is not kept.
      if (eof_ || !more_bytes()) throw CsvError(start_line, "quoted field is never closed (unbalanced quote)");
      throw CsvError(start_line, "a quoted field runs past the record limit of " + limit +
                                     " (a field that long, or a quote closed nowhere before it)");
    }
    const bool got = fill();
    i = pos_ + offset;
    return got;
  };
  while (true) {
    if (i == end_ && !refill()) {
      // End of file ends the record (there is no final newline).
      if (in_quotes) throw CsvError(start_line, "quoted field is never closed (unbalanced quote)");
      record.fields.push_back(std::move(field));
      record.raw.assign(buffer_.data() + pos_, i - pos_);
      pos_ = i;
      return true;
    }
    const char c = buffer_[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 == end_) refill();
        if (i + 1 < end_ && buffer_[i + 1] == '"') {
          field += '"';
          i += 2;
          continue;
        }
        in_quotes = false;
        ++i;
        continue;
      }
      if (c == '\n') ++line_;
      field += c;
      ++i;
      continue;
    }
    if (c == delimiter_) {
      record.fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      ++i;
      continue;
    }
    if (c == '\n' || c == '\r') {
      // As a length: a refill below moves the bytes (pos_ becomes 0).
      const std::size_t raw_length = i - pos_;
      if (c == '\r') {
        if (i + 1 == end_) refill();
        if (i + 1 < end_ && buffer_[i + 1] == '\n') {
          ++i;
        } else {
          // A lone CR inside an unquoted field is data, not a line end.
          field += c;
          ++i;
          continue;
        }
      }
      ++i;
      ++line_;
      record.fields.push_back(std::move(field));
      record.raw.assign(buffer_.data() + pos_, raw_length);
      pos_ = i;
      return true;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      in_quotes = true;
      was_quoted = true;
      ++i;
      continue;
    }
    field += c;
    ++i;
  }
}

}  // namespace segmentd
