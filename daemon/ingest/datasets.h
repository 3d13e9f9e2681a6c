#pragma once
// The nine Olist datasets: their CSV headers, the canonical table each loads
// into, column types for validation, and keys. Recognition is by header, not
// by file name.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segmentd {

enum class ColumnType { Id, Text, UInt, Decimal, DateTime, Double };

struct ColumnSpec {
  std::string_view header;  // as in the CSV (lower case)
  std::string_view column;  // in the table
  ColumnType type;
  unsigned size;  // Id/Text: max characters; UInt: max value digits bound via max below
  bool nullable;
  unsigned long long max = 0;  // UInt: largest value
};

struct Dataset {
  std::string_view name;   // e.g. "orders"
  std::string_view table;  // canonical table
  std::vector<ColumnSpec> columns;
  std::vector<std::string_view> key;  // table columns; empty = no natural key (replace whole table)
};

const std::vector<Dataset>& olist_datasets();
const Dataset* dataset_by_name(std::string_view name);

struct HeaderMatch {
  const Dataset* dataset = nullptr;
  // For each dataset column (in dataset order), the index of the CSV field.
  std::vector<std::size_t> field_of_column;
};

// Recognises a header (BOM already stripped; quotes already removed):
// case-insensitive, surrounding spaces ignored, columns in any order. Throws
// UserError naming the closest dataset and its missing and extra columns.
HeaderMatch recognise_header(const std::vector<std::string>& header);
// How many columns of the closest dataset `header` has (to tell whether a
// refused file looks more like an Olist file or a feed's).
std::size_t olist_header_overlap(const std::vector<std::string>& header);

}  // namespace segmentd
