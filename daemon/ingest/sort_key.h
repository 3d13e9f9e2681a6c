#pragma once

#include <string>
#include <string_view>

#include "datasets.h"

namespace segmentd {

// Appends one key column's value to a row's sort key. Byte order of the
// keys orders the rows for loading (ExternalSorter), and two keys are equal
// exactly when the database takes the rows' keys as equal, which is how a
// key repeated within a file is found:
//  - numbers by value, 8 bytes big-endian ("01" and "1" are one key);
//  - text by its bytes without trailing spaces (the key columns are
//    ascii_bin / utf8mb4_bin, PAD SPACE), each part ended by a NUL, which
//    validated text cannot hold, so ("ab","c") and ("a","bc") differ.
void append_sort_key_part(std::string& key, ColumnType type, std::string_view value);

}  // namespace segmentd
