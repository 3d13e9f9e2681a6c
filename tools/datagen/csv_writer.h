#pragma once
// Writes CSV the way the Olist exports are written: a chosen line ending, an
// optional UTF-8 BOM, fields quoted when they must be (and sometimes when they
// need not be), and no line break after the last row.

#include <cstdio>
#include <string>
#include <string_view>

namespace datagen {

class CsvWriter {
 public:
  CsvWriter(const std::string& path, bool crlf, bool bom);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // Appends one field to the current row; `quote` forces quotes.
  void field(std::string_view value, bool quote = false);
  void end_row();
  std::size_t rows() const { return rows_; }

 private:
  void flush_if_full();
  std::FILE* file_;
  std::string buffer_;
  const char* eol_;
  bool row_open_ = false;
  bool first_row_ = true;
  std::size_t rows_ = 0;
};

}  // namespace datagen
