#pragma once
// The original project's five CSV deliverables, written from the current
// results. Each file is written under a temporary name and renamed, so a
// reader sees the old file or the new one, never half of one.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace segmentd {

class DbSession;

struct ExportedFile {
  std::filesystem::path path;
  std::uint64_t rows = 0;
};

// Writes all five files into `dir` (created if missing). Holds the refresh
// lock meanwhile so the five files describe the same refresh. Throws
// UserError for file-system problems, DbError for database ones.
std::vector<ExportedFile> write_exports(DbSession& db, const std::filesystem::path& dir);

// One CSV field as the original exports wrote it: quoted when it contains a
// space, comma, quote or line break; NULL as an empty field.
std::string csv_field(const std::optional<std::string>& value);

}  // namespace segmentd
