#pragma once
// A streaming RFC 4180 reader: quoted fields with doubled quotes, commas and
// line breaks inside quotes, LF or CRLF line ends, a missing final newline, a
// UTF-8 BOM. Memory is one buffer plus the current record, whatever the file
// size; a record longer than the limit (typically an unbalanced quote running
// to the end of the file) is an error.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "errors.h"

namespace segmentd {

class CsvError : public Error {
 public:
  CsvError(std::uint64_t line, const std::string& reason)
      : Error("line " + std::to_string(line) + ": " + reason), line_(line) {}
  std::uint64_t line() const { return line_; }

 private:
  std::uint64_t line_;
};

struct CsvRecord {
  std::vector<std::string> fields;  // exactly as written (quotes removed, "" -> ")
  std::uint64_t line = 0;           // line where the record starts, 1-based
  std::string raw;                  // the record's bytes without its line end
};

class CsvReader {
 public:
  // Takes ownership of nothing: `fd` must stay open while reading.
  // `buffer_bytes`: the first read size; the buffer grows to hold a long
  // record (the fuzz target starts small to cross its edges often).
  // `delimiter`: a feed's (feed_spec.h); the Olist files use commas.
  explicit CsvReader(int fd, std::size_t max_record_bytes = 16 << 20, std::size_t buffer_bytes = 1 << 20,
                     char delimiter = ',');
  // Next record; false at end of file. Throws CsvError on an unterminated
  // quote or an over-long record, IoError when the file cannot be read.
  bool next(CsvRecord& record);

 private:
  bool fill();
  // Whether the file has a byte past what was read (consumed: only asked
  // on the way to refusing the file).
  bool more_bytes();
  int fd_;
  std::size_t max_record_;
  char delimiter_;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool first_ = true;
  std::uint64_t line_ = 1;
};

}  // namespace segmentd
