#pragma once
// The files of sql/, compiled into the binary (see cmake/embed_files.cmake).

#include <string_view>
#include <vector>

namespace segmentd {

struct EmbeddedFile {
  std::string_view path;  // relative to sql/, e.g. "migrations/V001__x.sql"
  std::string_view content;
};

// Sorted by path.
const std::vector<EmbeddedFile>& embedded_sql_files();

}  // namespace segmentd
